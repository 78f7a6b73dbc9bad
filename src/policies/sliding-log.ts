import { type Decision, decision } from './decision.js';
import type { Duration } from './duration.js';
import type { LogState } from './log-state.js';
import { type Admission, type Policy, share } from './policy.js';
import { windowOptions } from './window-options.js';

/** Options of {@link slidingLog}. */
export interface SlidingLogOptions {
  /** Units admitted in any window of this length. */
  limit: number;
  /** Window length: ms, or `'10s'`, `'1m'`, … */
  window: Duration;
}

/** Most log entries held per key; beyond this the log is too costly to be the right tool. */
export const MAX_LOG_LIMIT = 100_000;

/**
 * Sliding log: the exact answer. Keeps the admitted timestamps (one entry per
 * distinct admission instant, with its units); a unit admitted at `t` counts
 * while `now < t + window`. Memory per key grows with the limit (at most
 * `limit` entries), the work per decision does not (see `RunLog`).
 *
 * @example
 * const policy = slidingLog({ limit: 100, window: '1m' });
 */
export function slidingLog(options: SlidingLogOptions): Policy {
  const { limit, windowMs } = windowOptions('slidingLog', options, MAX_LOG_LIMIT);
  return slidingLogPolicy(limit, windowMs);
}

function slidingLogPolicy(limit: number, windowMs: number): Policy {
  return {
    algorithm: 'sliding-log',
    limit,
    windowMs,
    stateSize: 0,
    params: [limit, windowMs],
    init(state: LogState, at: number): void {
      state.clear(at);
    },
    decide(log: LogState, at: number, nowMs: number, cost: number, commit: boolean): Decision {
      const newest = log.newest(at);
      // A clock behind the newest entry: decide as if at that entry's time.
      const now = Math.max(nowMs, newest);
      const live = log.firstLive(at, now, windowMs);
      const count = log.countFrom(at, live);
      if (count + cost <= limit) {
        // Cost 0: the state as it is.
        if (cost === 0)
          return decision(true, limit, limit - count, count > 0 ? newest + windowMs - nowMs : 0, 0, 0, now, 0);
        if (commit) {
          // Only an admission drops what left the window: its entry becomes the newest, so no
          // caller, however far its clock is behind, is decided before that instant again.
          log.dropBefore(at, live);
          log.push(at, now, cost);
        }
        // Waits are measured on the caller's clock (\`nowMs\`), behind \`now\` when the clock went backwards.
        return decision(true, limit, limit - count - cost, now + windowMs - nowMs, 0, 0, now, commit ? cost : 0);
      }
      // Admitted once the oldest \`count + cost - limit\` live units have left the window.
      const unblocking = log.timeOfUnit(at, live, count + cost - limit);
      const remaining = Math.max(0, limit - count);
      return decision(false, limit, remaining, newest + windowMs - nowMs, unblocking + windowMs - nowMs, 0, now, 0);
    },
    refund(log: LogState, at: number, nowMs: number, cost: number, admitted: Admission): void {
      const newest = log.newest(at);
      // Units that already left the window are not given back; without an
      // instant (NaN), the admission is the key's latest: its newest entry.
      const horizon = Math.max(nowMs, newest) - windowMs;
      log.refund(at, Number.isNaN(admitted.atMs) ? newest : admitted.atMs, cost, horizon);
    },
    part(index: number, count: number): Policy {
      return slidingLogPolicy(share(limit, index, count), windowMs);
    },
  };
}
