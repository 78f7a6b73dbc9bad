import { type Decision, decision, truncDiv } from './decision.js';
import type { Duration } from './duration.js';
import { type Admission, type Policy, share } from './policy.js';
import { windowOptions } from './window-options.js';

/** Options of {@link fixedWindow}. */
export interface FixedWindowOptions {
  /** Units admitted per window. */
  limit: number;
  /** Window length: ms, or `'10s'`, `'1m'`, … Windows are aligned to the Unix epoch. */
  window: Duration;
}

// State: [windowIndex, count].
const INDEX = 0;
const COUNT = 1;

/**
 * Fixed window: one counter per key per window, windows aligned to the epoch
 * (`floor(now / window)`). Cheapest, but a client can spend `limit` at the end
 * of one window and `limit` again at the start of the next: 2× across a boundary.
 *
 * @example
 * const policy = fixedWindow({ limit: 100, window: '1m' });
 */
export function fixedWindow(options: FixedWindowOptions): Policy {
  const { limit, windowMs } = windowOptions('fixedWindow', options);
  return fixedWindowPolicy(limit, windowMs);
}

function fixedWindowPolicy(limit: number, windowMs: number): Policy {
  return {
    algorithm: 'fixed-window',
    limit,
    windowMs,
    stateSize: 2,
    params: [limit, windowMs],
    init(state: Float64Array, at: number): void {
      state[at + INDEX] = Number.NEGATIVE_INFINITY;
      state[at + COUNT] = 0;
    },
    decide(state: Float64Array, at: number, nowMs: number, cost: number, commit: boolean): Decision {
      let windowIndex = truncDiv(nowMs, windowMs);
      let count = state[at + COUNT] as number;
      const storedIndex = state[at + INDEX] as number;
      // The instant the decision takes effect: the caller's, or the stored window's start when the clock is behind it.
      let atMs = nowMs;
      if (storedIndex > windowIndex) {
        // A clock behind the stored state: decide in the stored window.
        windowIndex = storedIndex;
        atMs = storedIndex * windowMs;
      } else if (storedIndex < windowIndex) {
        count = 0;
      }
      // Waits are measured on the caller's clock, so they stay exact (and the
      // store's expiry stays late enough) when that clock is behind the state.
      const untilNextWindow = (windowIndex + 1) * windowMs - nowMs;
      // Cost 0: the state as it is.
      if (cost === 0)
        return decision(true, limit, Math.max(0, limit - count), count > 0 ? untilNextWindow : 0, 0, 0, atMs, 0);
      if (count + cost <= limit) {
        count += cost;
        if (commit) {
          state[at + INDEX] = windowIndex;
          state[at + COUNT] = count;
        }
        return decision(true, limit, limit - count, untilNextWindow, 0, 0, atMs, commit ? cost : 0);
      }
      // A limit lowered under a shared state can leave count above it; remaining is never negative.
      return decision(false, limit, Math.max(0, limit - count), untilNextWindow, untilNextWindow, 0, atMs, 0);
    },
    refund(state: Float64Array, at: number, _nowMs: number, cost: number, admitted: Admission): void {
      // Only the admission's own window holds its units; a later window never gets them.
      // Without an instant (NaN), the admission is the key's latest: in the stored window.
      const storedIndex = state[at + INDEX] as number;
      // A key without state (never used, expired, reset) has nothing to give back.
      if (storedIndex === Number.NEGATIVE_INFINITY) return;
      if (!Number.isNaN(admitted.atMs) && storedIndex !== truncDiv(admitted.atMs, windowMs)) return;
      const count = state[at + COUNT] as number;
      state[at + COUNT] = count - Math.min(cost, count);
    },
    part(index: number, count: number): Policy {
      return fixedWindowPolicy(share(limit, index, count), windowMs);
    },
  };
}
