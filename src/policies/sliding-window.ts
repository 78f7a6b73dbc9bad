import { ceilDiv, type Decision, decision, floorDiv, truncDiv } from './decision.js';
import type { Duration } from './duration.js';
import { type Admission, type Policy, share } from './policy.js';
import { windowOptions } from './window-options.js';

/** Options of {@link slidingWindow}. */
export interface SlidingWindowOptions {
  /** Units admitted per window (weighted across the previous and current window). */
  limit: number;
  /** Window length: ms, or `'10s'`, `'1m'`, … Windows are aligned to the Unix epoch. */
  window: Duration;
}

// State: [windowIndex, previous, current].
const INDEX = 0;
const PREVIOUS = 1;
const CURRENT = 2;

/**
 * Sliding window counter: two counters per key. The previous window counts in
 * proportion to how much of it still overlaps the sliding window:
 * `weighted = previous * (1 - elapsed / window) + current`, admitted when
 * `weighted + cost <= limit`. All of it is computed scaled by `window`, in
 * integers, so 15 × (1 − 20000/60000) is exactly 10.
 *
 * @example
 * const policy = slidingWindow({ limit: 100, window: '1m' });
 */
export function slidingWindow(options: SlidingWindowOptions): Policy {
  const { limit, windowMs } = windowOptions('slidingWindow', options, undefined, {
    factor: 2,
    what: 'twice the limit times the window in ms',
  });
  return slidingWindowPolicy(limit, windowMs);
}

function slidingWindowPolicy(limit: number, windowMs: number): Policy {
  const scaledLimit = limit * windowMs;
  return {
    algorithm: 'sliding-window',
    limit,
    windowMs,
    stateSize: 3,
    params: [limit, windowMs],
    init(state: Float64Array, at: number): void {
      state[at + INDEX] = Number.NEGATIVE_INFINITY;
      state[at + PREVIOUS] = 0;
      state[at + CURRENT] = 0;
    },
    decide(state: Float64Array, at: number, nowMs: number, cost: number, commit: boolean): Decision {
      let windowIndex = truncDiv(nowMs, windowMs);
      let elapsed = nowMs - windowIndex * windowMs;
      const storedIndex = state[at + INDEX] as number;
      let previous = state[at + PREVIOUS] as number;
      let current = state[at + CURRENT] as number;
      if (storedIndex > windowIndex) {
        // A clock behind the stored state: decide as if at the stored window's start.
        windowIndex = storedIndex;
        elapsed = 0;
      } else if (storedIndex === windowIndex - 1) {
        previous = current;
        current = 0;
      } else if (storedIndex < windowIndex) {
        previous = 0;
        current = 0;
      }
      const untilNextWindow = windowMs - elapsed;
      // The instant the decision takes effect; waits are measured on the caller's
      // clock: \`lag\` ms behind the stored window's start when it went backwards.
      const atMs = windowIndex * windowMs + elapsed;
      const lag = atMs - nowMs;
      // weighted * windowMs, exact in integers.
      const previousWeight = previous * untilNextWindow;
      const scaledUsed = previousWeight + current * windowMs;
      if (cost > 0 && scaledUsed + cost * windowMs <= scaledLimit) {
        current += cost;
        if (commit) {
          state[at + INDEX] = windowIndex;
          state[at + PREVIOUS] = previous;
          state[at + CURRENT] = current;
        }
        const remaining = limit - current - ceilDiv(previousWeight, windowMs);
        return decision(true, limit, remaining, lag + untilNextWindow + windowMs, 0, 0, atMs, commit ? cost : 0);
      }
      const remaining = Math.max(0, limit - current - ceilDiv(previousWeight, windowMs));
      const resetMs = current > 0 ? lag + untilNextWindow + windowMs : previous > 0 ? lag + untilNextWindow : 0;
      // Cost 0: the state as it is.
      if (cost === 0) return decision(true, limit, remaining, resetMs, 0, 0, atMs, 0);
      return decision(false, limit, remaining, resetMs, lag + retryAfter(previous, current, cost, elapsed), 0, atMs, 0);
    },
    refund(state: Float64Array, at: number, _nowMs: number, cost: number, admitted: Admission): void {
      // The admission's units are in the current count while its window is the
      // stored one, in the previous count one window later, and gone after that.
      // Without an instant (NaN), the admission is the key's latest: in the stored window.
      const storedIndex = state[at + INDEX] as number;
      // A key without state (never used, expired, reset) has nothing to give back.
      if (storedIndex === Number.NEGATIVE_INFINITY) return;
      const admittedIndex = Number.isNaN(admitted.atMs) ? storedIndex : truncDiv(admitted.atMs, windowMs);
      const slot = storedIndex === admittedIndex ? CURRENT : storedIndex === admittedIndex + 1 ? PREVIOUS : -1;
      if (slot < 0) return;
      const count = state[at + slot] as number;
      state[at + slot] = count - Math.min(cost, count);
    },
    part(index: number, count: number): Policy {
      return slidingWindowPolicy(share(limit, index, count), windowMs);
    },
  };

  /** Least whole wait after which `cost` fits, if nothing else arrives. */
  function retryAfter(previous: number, current: number, cost: number, elapsed: number): number {
    const untilNextWindow = windowMs - elapsed;
    const slack = (limit - current - cost) * windowMs;
    if (slack >= 0 && previous > 0) {
      // Still in this window once previous * (windowMs - elapsed - wait) <= slack.
      return untilNextWindow - floorDiv(slack, previous);
    }
    // In the next window `current` becomes the previous window's count.
    const nextSlack = (limit - cost) * windowMs;
    const intoNextWindow = current > 0 ? Math.max(0, windowMs - floorDiv(nextSlack, current)) : 0;
    return untilNextWindow + intoNextWindow;
  }
}
