import { RollingWindow } from './rolling-window.js';
import type { RunRecord } from './runner.js';

/** How often the sliding window counter's estimate disagrees with the exact count, on offered traffic. */
export interface OfferedRateError {
  /** Requests judged. */
  readonly requests: number;
  /** Requests where `estimate <= limit` and `exact <= limit` disagree. */
  readonly wrong: number;
  /** Of those, the estimate said "over the limit" and the exact count did not. */
  readonly falsePositives: number;
  readonly percent: number;
}

/**
 * Cloudflare's method ("Counting things, a lot of different things", 2017): every
 * request counts, admitted or not, so the state never depends on the
 * decisions. For each request, per key, compare the sliding window counter's
 * estimate `previous × (1 - elapsed / window) + current` with the exact number
 * of requests in `(t - window, t]` (both including the request itself): a
 * request is wrongly decided when one is within the limit and the other is not.
 * Integer arithmetic (scaled by the window), like the policy itself.
 * `scope: 'global'` judges one counter over all keys together (a global limit).
 *
 * @example
 * offeredRateError(run, 100, 60_000).percent; // e.g. 0.05
 * offeredRateError(run, 10_000, 60_000, 'global'); // the botnet's global limit
 */
export function offeredRateError(
  run: RunRecord,
  limit: number,
  windowMs: number,
  scope: 'key' | 'global' = 'key',
): OfferedRateError {
  const keys = (scope === 'key' ? run.keys : ['global']).map(() => ({
    index: Number.NEGATIVE_INFINITY,
    previous: 0,
    current: 0,
    exact: new RollingWindow(windowMs),
  }));
  let wrong = 0;
  let falsePositives = 0;
  const n = run.at.length;
  for (let i = 0; i < n; i++) {
    const at = run.at[i] as number;
    const cost = run.cost[i] as number;
    const key = keys[scope === 'key' ? (run.keyId[i] as number) : 0] as (typeof keys)[number];
    const index = (at - (at % windowMs)) / windowMs;
    if (index === key.index + 1) {
      key.previous = key.current;
      key.current = 0;
    } else if (index > key.index) {
      key.previous = 0;
      key.current = 0;
    }
    key.index = index;
    key.current += cost;
    const elapsed = at - index * windowMs;
    const estimateOk = key.previous * (windowMs - elapsed) + key.current * windowMs <= limit * windowMs;
    const exactOk = key.exact.add(at, cost) <= limit;
    if (estimateOk !== exactOk) wrong++;
    if (!estimateOk && exactOk) falsePositives++;
  }
  return { requests: n, wrong, falsePositives, percent: n === 0 ? 0 : (wrong / n) * 100 };
}
