import { RollingWindow } from './rolling-window.js';
import type { RunRecord } from './runner.js';

/** Delays the leaky bucket imposed on admitted requests, in ms (nearest-rank percentiles). */
export interface Delays {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/**
 * Decisions judged against the exact rule — "admit when the units this key
 * had admitted in `(t - window, t]`, plus this request's, fit in the limit" (and
 * the same for the global key when there is a global limit) — applied to the
 * history the algorithm itself admitted. Unlike {@link RunMetrics.overAdmitted},
 * which compares with an independent sliding log whose own admissions soon
 * differ, this isolates each decision's error from the diverging histories;
 * it is the measure behind Cloudflare's "0.003% of requests wrongly allowed or
 * rate limited".
 */
export interface SameHistoryErrors {
  /** Admitted although the exact rule, on the same history, would deny. */
  readonly over: number;
  /** Denied although the exact rule, on the same history, would admit. */
  readonly under: number;
  /** (over + under) / requests × 100. */
  readonly percent: number;
}

/** Admitted and denied requests of one group of keys (the key's text before its first `:`). */
export interface GroupCounts {
  readonly admitted: number;
  readonly denied: number;
}

/** The numbers one run is judged by. Counts are requests; windows are counted in units (= requests at cost 1). */
export interface RunMetrics {
  readonly admitted: number;
  readonly denied: number;
  /** Most units admitted for one key in any rolling window `(t - window, t]`: the true burst. */
  readonly maxAdmittedInWindow: number;
  /** The same over all keys together (what the service behind the limiter received). */
  readonly maxAdmittedInWindowAllKeys: number;
  /** Requests this algorithm admitted that the exact sliding log denied, on the same trace. */
  readonly overAdmitted: number;
  /** Requests this algorithm denied that the exact sliding log admitted, on the same trace. */
  readonly underAdmitted: number;
  /** (over + under) / requests × 100. */
  readonly wrongPercent: number;
  /** Each decision judged by the exact rule applied to this algorithm's own admitted history. */
  readonly sameHistory: SameHistoryErrors;
  /** Leaky bucket only. */
  readonly delays: Delays | undefined;
  readonly groups: Record<string, GroupCounts>;
}

/**
 * Computes the metrics of one run. `windowMs` is the limit's window; the
 * rolling count of a key at `t` includes every admission at `t'` with
 * `t - window < t' <= t`, as the sliding log counts.
 */
export function measure(run: RunRecord, limit: number, windowMs: number, globalLimit?: number): RunMetrics {
  let admitted = 0;
  let over = 0;
  let under = 0;
  let historyOver = 0;
  let historyUnder = 0;
  const delays: number[] = [];
  const groups: Record<string, { admitted: number; denied: number }> = {};
  const groupOf = run.keys.map((key) => {
    const colon = key.indexOf(':');
    return colon < 0 ? key : key.slice(0, colon);
  });
  const perKey = run.keys.map(() => new RollingWindow(windowMs));
  const allKeys = new RollingWindow(windowMs);
  let maxPerKey = 0;
  let maxAll = 0;
  const n = run.at.length;
  for (let i = 0; i < n; i++) {
    const allowed = run.allowed[i] as boolean;
    const reference = run.reference[i] as boolean;
    const id = run.keyId[i] as number;
    const group = groupOf[id] as string;
    const counts = groups[group] ?? { admitted: 0, denied: 0 };
    groups[group] = counts;
    if (allowed && !reference) over++;
    if (!allowed && reference) under++;
    const at = run.at[i] as number;
    const cost = run.cost[i] as number;
    const own = perKey[id] as RollingWindow;
    const exact =
      own.sumAt(at) + cost <= limit && (globalLimit === undefined || allKeys.sumAt(at) + cost <= globalLimit);
    if (allowed && !exact) historyOver++;
    if (!allowed && exact) historyUnder++;
    if (!allowed) {
      counts.denied++;
      continue;
    }
    admitted++;
    counts.admitted++;
    maxPerKey = Math.max(maxPerKey, own.add(at, cost));
    maxAll = Math.max(maxAll, allKeys.add(at, cost));
    if (run.algorithm === 'leaky-bucket') delays.push(run.delayMs[i] as number);
  }
  return {
    admitted,
    denied: n - admitted,
    maxAdmittedInWindow: maxPerKey,
    maxAdmittedInWindowAllKeys: maxAll,
    overAdmitted: over,
    underAdmitted: under,
    wrongPercent: percentOf(over + under, n),
    sameHistory: { over: historyOver, under: historyUnder, percent: percentOf(historyOver + historyUnder, n) },
    delays: run.algorithm === 'leaky-bucket' ? percentiles(delays) : undefined,
    groups,
  };
}

function percentOf(part: number, whole: number): number {
  return whole === 0 ? 0 : (part / whole) * 100;
}

/** Nearest-rank p50, p99 and max; all 0 when nothing was admitted. */
export function percentiles(values: number[]): Delays {
  if (values.length === 0) return { p50: 0, p99: 0, max: 0 };
  const sorted = Float64Array.from(values).sort();
  const rank = (p: number): number => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] as number;
  return { p50: rank(50), p99: rank(99), max: sorted[sorted.length - 1] as number };
}
