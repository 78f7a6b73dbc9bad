import { ceilDiv, type Decision, decision, truncDiv } from './decision.js';
import type { Admission, Algorithm, Policy } from './policy.js';
import { share } from './policy.js';
import { TICK_EPOCH_MS, type TickRate } from './rate.js';

/**
 * The math shared by the token bucket and the leaky bucket, as GCRA. The state
 * is one number, `tat`: the tick at which the key is back at full capacity
 * (the theoretical arrival time). Work ahead of `now` is `max(tat, now) - now`
 * ticks; a request of `cost` units fits when that plus `cost` intervals is
 * within `capacity` intervals. The two buckets admit identically; the leaky
 * bucket also tells the caller to hold the request until its turn to drain.
 */
export function bucketPolicy(algorithm: Algorithm, capacity: number, rate: TickRate): Policy {
  const { ticksPerMs, intervalTicks } = rate;

  /**
   * The tick at which an admission's work ended. Its resetMs says so in whole
   * ms rounded up, so the end lies in the last `ticksPerMs` ticks before
   * `atMs + resetMs`. When the queue still ends there, nothing was admitted
   * after it (another admission adds at least one interval, and an interval
   * is at least a ms whenever the end is not exact), so the end is the queue's
   * end; otherwise the earliest tick it can be, so a refund never gives more.
   * (Only a later admission given back in part can leave the queue's end
   * inside those ticks; the refund may then exceed by less than a ms of work.)
   */
  function workEnd(tat: number, admitted: Admission): number {
    const last = (admitted.atMs + admitted.resetMs - TICK_EPOCH_MS) * ticksPerMs;
    const first = last - ticksPerMs + 1;
    if (intervalTicks >= ticksPerMs && tat >= first && tat <= last) return tat;
    return first;
  }
  const capacityTicks = capacity * intervalTicks;
  const shapes = algorithm === 'leaky-bucket';
  return {
    algorithm,
    limit: capacity,
    windowMs: ceilDiv(capacityTicks, ticksPerMs),
    stateSize: 1,
    params: [capacity, ticksPerMs, intervalTicks],
    init(state: Float64Array, at: number): void {
      state[at] = Number.NEGATIVE_INFINITY;
    },
    decide(state: Float64Array, at: number, nowMs: number, cost: number, commit: boolean): Decision {
      const now = (nowMs - TICK_EPOCH_MS) * ticksPerMs;
      const tat = state[at] as number;
      // Work queued ahead of this request. A clock behind the state only makes it larger.
      const start = Math.max(tat, now);
      const backlog = start - now;
      const need = cost * intervalTicks;
      const room = capacityTicks - backlog;
      if (cost > 0 && need <= room) {
        if (commit) state[at] = start + need;
        const remaining = truncDiv(room - need, intervalTicks);
        const delayMs = shapes ? ceilDiv(backlog, ticksPerMs) : 0;
        return decision(
          true,
          capacity,
          remaining,
          ceilDiv(backlog + need, ticksPerMs),
          0,
          delayMs,
          nowMs,
          commit ? cost : 0,
        );
      }
      // A clock far behind the state can leave room below zero; remaining never is.
      const remaining = Math.max(0, truncDiv(room, intervalTicks));
      const resetMs = ceilDiv(backlog, ticksPerMs);
      // Cost 0: the state as it is.
      if (cost === 0) return decision(true, capacity, remaining, resetMs, 0, 0, nowMs, 0);
      return decision(false, capacity, remaining, resetMs, ceilDiv(need - room, ticksPerMs), 0, nowMs, 0);
    },
    refund(state: Float64Array, at: number, nowMs: number, cost: number, admitted: Admission): void {
      const tat = state[at] as number;
      // Without an instant (NaN), the admission is the key's latest: the end of the queue.
      const end = Number.isNaN(admitted.atMs) ? tat : workEnd(tat, admitted);
      const now = (nowMs - TICK_EPOCH_MS) * ticksPerMs;
      // What is still queued of it, capped by the queue itself: never below empty.
      const undrained = Math.min(cost * intervalTicks, end - now, tat - now);
      if (undrained > 0) state[at] = tat - undrained;
    },
    part(index: number, count: number): Policy {
      // Each part keeps the same tick, so its rate is a share of the whole rate.
      const partCapacity = share(capacity, index, count);
      const partRate = { ticksPerMs, intervalTicks: intervalTicks * count };
      return bucketPolicy(algorithm, partCapacity, partRate);
    },
  };
}
