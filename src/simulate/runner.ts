import { type Algorithm, MemoryStore, type Policy, RateLimiter } from '../index.js';
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

/** Limit and window of one run: the per-key limit every algorithm stands for. */
export interface RunSettings {
  readonly limit: number;
  readonly windowMs: number;
}

/** One decision, as the runner records it and a closed-loop scenario sees it. */
export interface GateDecision extends Outcome {
  /** Leaky bucket: how long to hold the admitted request before serving it; 0 otherwise. */
  readonly delayMs: number;
}

/** Decides one arrival. */
export type Decide = (arrival: Arrival) => Promise<GateDecision>;

/**
 * Builds what decides the requests of one run, reading the run's virtual
 * clock. Anything that answers with a decision works: one `RateLimiter`, with
 * one policy or a limit set.
 */
export type GateFactory = (clock: () => number) => Decide;

/**
 * A gate of one `RateLimiter` that `build` makes on the run's clock, keyed by
 * each arrival's key.
 *
 * @example
 * limiterGate((clock) => new RateLimiter({ policy: tokenBucket({ capacity: 10, refillPerSecond: 1 }), clock }));
 */
export function limiterGate(build: (clock: () => number) => RateLimiter): GateFactory {
  return (clock) => {
    const limiter = build(clock);
    return (arrival) => limiter.limit(arrival.key, { cost: arrival.cost });
  };
}

/** The limits a gate enforces, in units per window: per source (each arrival's key), global (one shared key), or both. */
export interface LimitsPlan {
  readonly perSource?: number;
  readonly global?: number;
}

/** The shared key of the global limit. */
export const GLOBAL_KEY = 'all';

/**
 * `algorithm` standing for each of `plan`'s limits per `windowMs`, as one real
 * `RateLimiter` on one real `MemoryStore`: a per-source limit on each arrival's
 * key, a global limit on {@link GLOBAL_KEY}, or both as a limit set (all or
 * nothing: a request either limit denies spends nothing in the other).
 *
 * @example
 * limitsGate('sliding-log', 60_000, { perSource: 100, global: 10_000 });
 */
export function limitsGate(algorithm: Algorithm, windowMs: number, plan: LimitsPlan): GateFactory {
  const { perSource, global } = plan;
  const policy = (units: number): Policy => policyFor(algorithm, units, windowMs);
  if (global === undefined) {
    if (perSource === undefined) throw new Error('limitsGate: no limit to enforce');
    return limiterGate((clock) => new RateLimiter({ policy: policy(perSource), store: new MemoryStore(), clock }));
  }
  if (perSource === undefined) {
    return (clock) => {
      const limiter = new RateLimiter({ policy: policy(global), store: new MemoryStore(), clock });
      return (arrival) => limiter.limit(GLOBAL_KEY, { cost: arrival.cost });
    };
  }
  return (clock) => {
    const limits = { perSource: policy(perSource), global: policy(global) };
    const limiter = new RateLimiter({ limits, store: new MemoryStore(), clock });
    return (arrival) => limiter.limit({ perSource: arrival.key, global: GLOBAL_KEY }, { cost: arrival.cost });
  };
}

/**
 * `algorithm` standing for "limit per window" on each arrival's key and, if
 * `globalLimit` is given, the same algorithm with that limit on one shared key,
 * the two as one limit set.
 */
export function algorithmGate(algorithm: Algorithm, settings: RunSettings, globalLimit?: number): GateFactory {
  return limitsGate(algorithm, settings.windowMs, { perSource: settings.limit, global: globalLimit });
}

/** One run: what decides, and what it is compared with. */
export interface RunPlan {
  /** The name the run is reported under. */
  readonly algorithm: Algorithm;
  readonly gate: GateFactory;
  /**
   * The exact reference deciding the same requests alongside: a gate (closed
   * loop: the trace depends on the decisions), the reference's decisions in
   * arrival order, computed once (open loop), or nothing when the run is the
   * reference itself.
   */
  readonly reference?: GateFactory | readonly boolean[];
}

/**
 * Runs `traffic` through `plan.gate` on a virtual clock (minutes of traffic
 * in milliseconds, no sleeping), recording each decision and the reference's.
 *
 * @example
 * const log = await runTraffic(traffic, { algorithm: 'sliding-log', gate: algorithmGate('sliding-log', settings) });
 */
export async function runTraffic(traffic: Traffic, plan: RunPlan): Promise<RunRecord> {
  let now = 0;
  const clock = (): number => now;
  const decide = plan.gate(clock);
  const precomputed = Array.isArray(plan.reference) ? (plan.reference as readonly boolean[]) : undefined;
  const shadow = typeof plan.reference === 'function' ? plan.reference(clock) : undefined;
  const record: RunRecord = {
    algorithm: plan.algorithm,
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
    const decision = await decide(arrival);
    const reference = shadow ? (await shadow(arrival)).allowed : (precomputed?.[index] ?? decision.allowed);
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
