import { RateLimiter } from '../limiter.js';
import type { Algorithm } from '../policies/policy.js';
import { MemoryStore } from '../stores/memory.js';
import { policyFor } from './algorithms.js';
import { EventQueue } from './event-queue.js';
import type { Arrival, Outcome, Traffic } from './types.js';

/** Every decision of one run, in the order they were made (which is time order). */
export interface RunRecord {
  readonly algorithm: Algorithm;
  /** Key names; `keyId` indexes into it. */
  readonly keys: string[];
  readonly at: number[];
  readonly keyId: number[];
  readonly cost: number[];
  readonly allowed: boolean[];
  /** Leaky bucket: how long the admitted request is held before it is served; 0 otherwise. */
  readonly delayMs: number[];
  /** The exact sliding log's decision on the same request of the same trace. */
  readonly reference: boolean[];
}

/** Limit, window and the virtual clock shared by every limiter of one run. */
export interface RunSettings {
  readonly limit: number;
  readonly windowMs: number;
}

interface GateDecision extends Outcome {
  readonly delayMs: number;
}

/**
 * The limiters one request passes: its key's limit, then the scenario's global
 * limit if any. Real `RateLimiter`s on a real `MemoryStore`, read through a
 * virtual clock, so minutes of traffic run in milliseconds with no sleeping.
 */
class Gate {
  private readonly perKey: RateLimiter;
  private readonly global: RateLimiter | undefined;

  constructor(algorithm: Algorithm, settings: RunSettings, globalLimit: number | undefined, clock: () => number) {
    const store = new MemoryStore();
    const { limit, windowMs } = settings;
    this.perKey = new RateLimiter({ policy: policyFor(algorithm, limit, windowMs), store, clock, prefix: 'key' });
    this.global =
      globalLimit === undefined
        ? undefined
        : new RateLimiter({ policy: policyFor(algorithm, globalLimit, windowMs), store, clock, prefix: 'global' });
  }

  async decide(arrival: Arrival): Promise<GateDecision> {
    const options = { cost: arrival.cost };
    const own = await this.perKey.limit(arrival.key, options);
    if (!own.allowed || this.global === undefined) return own;
    const shared = await this.global.limit('global', options);
    if (!shared.allowed) return shared;
    // Both queues must have drained ahead of the request before it is served.
    return { allowed: true, retryAfterMs: 0, delayMs: Math.max(own.delayMs, shared.delayMs) };
  }
}

/**
 * Runs `traffic` through `algorithm`, with the exact sliding log deciding the
 * same requests alongside (`reference`). For open-loop traffic pass the
 * reference decisions computed once (`precomputed`), in arrival order.
 */
export async function runAlgorithm(
  algorithm: Algorithm,
  traffic: Traffic,
  settings: RunSettings,
  precomputed?: readonly boolean[],
): Promise<RunRecord> {
  let now = 0;
  const clock = (): number => now;
  const gate = new Gate(algorithm, settings, traffic.globalLimit, clock);
  const shadow =
    precomputed === undefined && algorithm !== 'sliding-log'
      ? new Gate('sliding-log', settings, traffic.globalLimit, clock)
      : undefined;
  const record: RunRecord = {
    algorithm,
    keys: [],
    at: [],
    keyId: [],
    cost: [],
    allowed: [],
    delayMs: [],
    reference: [],
  };
  const ids = new Map<string, number>();
  const queue = traffic.react ? new EventQueue() : undefined;
  const ordered = queue ? [] : sortByTime(traffic.arrivals);
  if (queue) for (const arrival of traffic.arrivals) queue.push(arrival);
  let index = 0;
  for (;;) {
    const arrival = queue ? queue.pop() : ordered[index];
    if (arrival === undefined) break;
    now = arrival.at;
    const decision = await gate.decide(arrival);
    const reference = shadow ? (await shadow.decide(arrival)).allowed : (precomputed?.[index] ?? decision.allowed);
    let id = ids.get(arrival.key);
    if (id === undefined) {
      id = record.keys.length;
      ids.set(arrival.key, id);
      record.keys.push(arrival.key);
    }
    record.at.push(arrival.at);
    record.keyId.push(id);
    record.cost.push(arrival.cost);
    record.allowed.push(decision.allowed);
    record.delayMs.push(decision.delayMs);
    record.reference.push(reference);
    index++;
    const next = queue && traffic.react?.(arrival, decision);
    if (queue && next) queue.push(next.at < now ? { ...next, at: now } : next);
  }
  return record;
}

/** Arrivals by time; equal times keep their order (Array.prototype.sort is stable). */
export function sortByTime(arrivals: readonly Arrival[]): Arrival[] {
  return [...arrivals].sort((a, b) => a.at - b.at);
}
