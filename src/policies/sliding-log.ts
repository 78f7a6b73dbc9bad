import { type Decision, decision } from './decision.js';
import type { Duration } from './duration.js';
import { type Policy, type StateVector, share } from './policy.js';
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
 * Sliding log: the exact answer. Keeps one timestamp per admitted unit; an
 * entry at `t` counts while `now < t + window`. Memory per key grows with the
 * limit (at most `limit` entries).
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
    init(state: StateVector): void {
      (state as number[]).length = 0;
    },
    // `state` is the key's log: admitted timestamps, one per unit, oldest first.
    decide(log: StateVector, _at: number, nowMs: number, cost: number, commit: boolean): Decision {
      const size = log.length;
      const newest = size > 0 ? (log[size - 1] as number) : Number.NEGATIVE_INFINITY;
      // A clock behind the newest entry: decide as if at that entry's time.
      const now = Math.max(nowMs, newest);
      let expired = 0;
      while (expired < size && (log[expired] as number) + windowMs <= now) expired++;
      const count = size - expired;
      if (count + cost <= limit) {
        if (commit) {
          const entries = log as number[];
          if (expired > 0) entries.splice(0, expired);
          for (let i = 0; i < cost; i++) entries.push(now);
        }
        // Waits are measured on the caller's clock (`nowMs`), behind `now` when the clock went backwards.
        return decision(true, limit, limit - count - cost, now + windowMs - nowMs, 0, 0);
      }
      // Admitted once the oldest `count + cost - limit` live entries have left the window.
      const unblocking = log[expired + count + cost - limit - 1] as number;
      return decision(false, limit, limit - count, newest + windowMs - nowMs, unblocking + windowMs - nowMs, 0);
    },
    part(index: number, count: number): Policy {
      return slidingLogPolicy(share(limit, index, count), windowMs);
    },
  };
}
