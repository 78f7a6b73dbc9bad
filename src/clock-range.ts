import { FlowgateRangeError } from './errors.js';
import type { LimitSpec } from './policies/limit-set.js';
import { TICK_EPOCH_MS } from './policies/rate.js';

/** 2^53 - 1: up to it a double (and Redis' Lua) holds every integer. */
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** The clock readings (ms since the epoch, whole) at which a limiter's limits all count exactly. */
export interface ClockRange {
  readonly earliest: number;
  readonly latest: number;
}

/**
 * The clock readings at which every limit still counts exactly, and Redis
 * reads back what it wrote: an instant plus or minus a window stays within
 * ±(2^53 − 1), and a bucket's state, `(now − TICK_EPOCH_MS)` in ticks plus
 * its whole capacity, too. A bucket of 2 ticks per ms passed 2^53 ticks at
 * a clock of about 2^52 ms: it wrote a state that Redis then refused as
 * foreign, and the memory store counted on rounded doubles.
 */
export function clockRange(limits: readonly LimitSpec[]): ClockRange {
  let earliest = -MAX_SAFE;
  let latest = MAX_SAFE;
  for (const { policy } of limits) {
    earliest = Math.max(earliest, -MAX_SAFE + policy.windowMs);
    latest = Math.min(latest, MAX_SAFE - policy.windowMs);
    if (policy.algorithm === 'token-bucket' || policy.algorithm === 'leaky-bucket') {
      const [capacity, ticksPerMs, intervalTicks] = policy.params as [number, number, number];
      earliest = Math.max(earliest, TICK_EPOCH_MS - Math.floor(MAX_SAFE / ticksPerMs));
      latest = Math.min(latest, TICK_EPOCH_MS + Math.floor((MAX_SAFE - capacity * intervalTicks) / ticksPerMs));
    }
  }
  return { earliest, latest };
}

/**
 * `Math.floor(reading)`, if it lies in `range`; else throws a
 * `FlowgateRangeError` naming the reading and the range. The limiter passes
 * it on to the caller (it is not a store failure: no failure policy applies).
 */
export function clockReading(reading: number, range: ClockRange): number {
  const now = Math.floor(reading);
  if (now >= range.earliest && now <= range.latest) return now;
  throw new FlowgateRangeError(
    'FG_CLOCK_OUT_OF_RANGE',
    `the clock (RateLimiter.clock, Date.now by default) read ${String(reading)}; it must read milliseconds ` +
      `since the Unix epoch from ${range.earliest} to ${range.latest}${dateOf(range.latest)}, the range where ` +
      "this limiter's policies count exactly",
  );
}

/** ` (the ISO date)`, where a Date can show it (up to 8.64e15 ms). */
function dateOf(ms: number): string {
  return ms <= 8.64e15 ? ` (${new Date(ms).toISOString()})` : '';
}
