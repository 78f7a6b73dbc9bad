/**
 * Random traces over random limit sets, for differential tests: sets of 2 to 4
 * limits of mixed algorithms (some in shadow mode), requests with one key for
 * every limit or one per limit, costs, peeks, resets and refunds (with an
 * earlier decision, or without one), and a clock that moves forward or, with
 * {@link anyAdvanceArb}, steps back now and then. A trace is replayed on any
 * {@link SetTarget}: a `RateLimiter` on some store, or {@link SetMath}.
 */
import fc from 'fast-check';
import {
  type Admission,
  type Decision,
  fixedWindow,
  type LimitConfig,
  leakyBucket,
  type Policy,
  type RateLimiter,
  type SetDecision,
  slidingLog,
  slidingWindow,
  tokenBucket,
} from '../../src/index.js';
import type { SetMath } from './set-model.js';

export interface LimitDef {
  readonly name: string;
  readonly policy: Policy;
  readonly shadow: boolean;
}

const limitArb = fc.integer({ min: 1, max: 6 });
const windowArb = fc.constantFrom(7, 10, 1000, 60_000);
const rateArb = fc.constantFrom(1, 3, 2.5, 100 / 60, 0.375, 1000);

export const POLICY_ARBS: Record<string, fc.Arbitrary<Policy>> = {
  fixedWindow: fc.tuple(limitArb, windowArb).map(([limit, window]) => fixedWindow({ limit, window })),
  slidingLog: fc.tuple(limitArb, windowArb).map(([limit, window]) => slidingLog({ limit, window })),
  slidingWindow: fc.tuple(limitArb, windowArb).map(([limit, window]) => slidingWindow({ limit, window })),
  tokenBucket: fc
    .tuple(limitArb, rateArb)
    .map(([capacity, refillPerSecond]) => tokenBucket({ capacity, refillPerSecond })),
  leakyBucket: fc.tuple(limitArb, rateArb).map(([capacity, leakPerSecond]) => leakyBucket({ capacity, leakPerSecond })),
};
const policyArb = fc.oneof(...Object.values(POLICY_ARBS));

/** Names that keys must keep apart: letters, digits, `_ . -`. */
const NAMES = ['user', 'org', 'global', 'per.sec', 'a-b_c'] as const;

export const setArb: fc.Arbitrary<LimitDef[]> = fc
  .tuple(
    fc.shuffledSubarray([...NAMES], { minLength: 2, maxLength: 4 }),
    fc.array(fc.tuple(policyArb, fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, fc.constant(true))), {
      minLength: 4,
      maxLength: 4,
    }),
  )
  .map(([names, limits]) =>
    names.map((name, i) => {
      const [policy, shadow] = limits[i] as [Policy, boolean];
      return { name, policy, shadow };
    }),
  );

/** The `limits` option of a set. */
export function limitsOption(defs: readonly LimitDef[]): Record<string, Policy | LimitConfig> {
  const limits: Record<string, Policy | LimitConfig> = {};
  for (const def of defs) limits[def.name] = def.shadow ? { policy: def.policy, mode: 'shadow' } : def.policy;
  return limits;
}

/** One key for every limit, or one per limit (by position). */
export type KeyChoice = string | readonly string[];

export type SetOp =
  | {
      op: 'limit';
      keys: KeyChoice;
      cost: number;
      /** A cost per limit (by position, 0: not counted) instead of `cost`: a per-limit `cost` record. */
      each?: number[] | undefined;
      advanceMs: number;
    }
  | { op: 'peek'; keys: KeyChoice; advanceMs: number }
  | { op: 'reset'; keys: KeyChoice; advanceMs: number }
  | {
      op: 'refund';
      keys: KeyChoice;
      cost: number;
      /** Which earlier limit decision to pass, counted back from the latest (modulo how many there are); none: no decision. */
      ref: number | undefined;
      /** Refund on the keys of that decision's request (else on `keys`). */
      sameKeys: boolean;
      advanceMs: number;
    };

// Few keys, one more often, so that requests, refunds and resets meet on the same state.
const keyArb = fc.oneof({ weight: 4, arbitrary: fc.constant('a') }, fc.constant('b'), fc.constant('c}{'));
const keysArb: fc.Arbitrary<KeyChoice> = fc.oneof(keyArb, fc.array(keyArb, { minLength: 4, maxLength: 4 }));

// Mostly small steps (a few ms, to land on boundaries of the short windows), and some jumps of a few windows.
export const forwardArb = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 12 }) },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 400 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 130_000 }) },
);
// The same, with the clock going backwards now and then.
export const anyAdvanceArb = fc.oneof(
  { weight: 8, arbitrary: forwardArb },
  { weight: 1, arbitrary: fc.integer({ min: -2_000, max: -1 }) },
);

export function opsArb(advanceArb: fc.Arbitrary<number>, maxLength = 30): fc.Arbitrary<SetOp[]> {
  // Mostly 1, so that sets of several limits admit often enough for refunds to find something.
  const cost = fc.oneof({ weight: 3, arbitrary: fc.constant(1) }, fc.integer({ min: 1, max: 6 }));
  const opArb: fc.Arbitrary<SetOp> = fc.oneof(
    {
      weight: 8,
      arbitrary: fc.record({ op: fc.constant('limit' as const), keys: keysArb, cost, advanceMs: advanceArb }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        op: fc.constant('limit' as const),
        keys: keysArb,
        cost,
        each: fc.array(fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 3 }) }, fc.nat(6)), {
          minLength: 4,
          maxLength: 4,
        }),
        advanceMs: advanceArb,
      }),
    },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('peek' as const), keys: keysArb, advanceMs: advanceArb }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('reset' as const), keys: keysArb, advanceMs: advanceArb }) },
    {
      weight: 3,
      arbitrary: fc.record({
        op: fc.constant('refund' as const),
        keys: keysArb,
        cost,
        ref: fc.option(fc.oneof({ weight: 3, arbitrary: fc.nat(2) }, fc.nat()), { nil: undefined, freq: 4 }),
        sameKeys: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, fc.constant(false)),
        advanceMs: advanceArb,
      }),
    },
  );
  return fc.array(opArb, { minLength: 1, maxLength });
}

// Starts before, at and long after TICK_EPOCH_MS (2026-01-01), aligned or not.
export const startArb = fc.constantFrom(0, 1_767_225_600_000, 1_767_225_599_999, 1_900_000_000_123);

/** What a trace is replayed on. Keys are one per limit, in order. */
export interface SetTarget {
  /** How many limits the set has. */
  readonly size: number;
  /** `cost`: one for every limit, or one per limit by position (a per-limit `cost` record). */
  limit(keys: KeyChoice, cost: number | readonly number[]): Promise<SetDecision>;
  peek(keys: KeyChoice): Promise<SetDecision>;
  refund(keys: KeyChoice, cost: number, decision: SetDecision | undefined): Promise<void>;
  reset(keys: KeyChoice): Promise<void>;
}

/** The keys argument of a limiter of `defs` for a choice. */
export function keysFor(defs: readonly LimitDef[], keys: KeyChoice): string | Record<string, string> {
  if (typeof keys === 'string') return keys;
  return Object.fromEntries(defs.map((def, i) => [def.name, keys[i] as string]));
}

export function limiterTarget(defs: readonly LimitDef[], limiter: RateLimiter<string>): SetTarget {
  return {
    size: defs.length,
    limit: (keys, cost) =>
      limiter.limit(keysFor(defs, keys), {
        cost: typeof cost === 'number' ? cost : Object.fromEntries(defs.map((def, i) => [def.name, cost[i] as number])),
      }),
    peek: (keys) => limiter.peek(keysFor(defs, keys)),
    refund: (keys, cost, decision) =>
      limiter.refund(keysFor(defs, keys), decision === undefined ? { cost } : { cost, decision }),
    reset: (keys) => limiter.reset(keysFor(defs, keys)),
  };
}

/** What each limit's refund undoes, as RateLimiter.refund documents it. */
export function admissionsOf(defs: readonly LimitDef[], decision: SetDecision | undefined): (Admission | undefined)[] {
  if (decision === undefined) return defs.map(() => ({ atMs: Number.NaN, resetMs: Number.NaN }));
  if (!decision.allowed || decision.degraded) return defs.map(() => undefined);
  return defs.map((def) => {
    const d = decision.limits[def.name] as Decision;
    return d.allowed && !d.degraded ? d : undefined;
  });
}

/**
 * What each limit gives back, as RateLimiter.refund documents it: with a
 * decision, never more than that admission spent in the limit, less what
 * earlier refunds of it gave back (`refunded`, per limit decision).
 */
function refundCosts(
  defs: readonly LimitDef[],
  cost: number,
  decision: SetDecision | undefined,
  refunded: WeakMap<Decision, number>,
): number[] {
  if (decision === undefined) return defs.map(() => cost);
  return defs.map((def) => {
    const d = decision.limits[def.name] as Decision;
    const units = Math.max(0, Math.min(cost, d.spent - (refunded.get(d) ?? 0)));
    if (units > 0) refunded.set(d, (refunded.get(d) ?? 0) + units);
    return units;
  });
}

export function mathTarget(defs: readonly LimitDef[], math: SetMath, clock: () => number): SetTarget {
  const refunded = new WeakMap<Decision, number>();
  const list = (keys: KeyChoice): string[] =>
    defs.map((_, i) => (typeof keys === 'string' ? keys : (keys[i] as string)));
  return {
    size: defs.length,
    limit: async (keys, cost) => math.decide(list(keys), cost, true, clock()),
    peek: async (keys) => math.decide(list(keys), 1, false, clock()),
    refund: async (keys, cost, decision) =>
      math.refund(list(keys), refundCosts(defs, cost, decision, refunded), admissionsOf(defs, decision), clock()),
    reset: async (keys) => math.reset(list(keys)),
  };
}

/**
 * Replays one op on a target. `history` holds the target's earlier limit
 * decisions with their keys (a refund picks one of them); costs are capped at
 * the smallest limit, above which a request is refused outright.
 */
export async function applyOp(
  target: SetTarget,
  op: SetOp,
  smallest: number,
  history: { keys: KeyChoice; decision: SetDecision }[],
): Promise<SetDecision | undefined> {
  switch (op.op) {
    case 'limit': {
      // Per-limit costs are capped at the smallest limit too: every limit can then admit its own.
      const cost = op.each === undefined ? Math.min(op.cost, smallest) : eachCost(op.each, smallest, target);
      const decision = await target.limit(op.keys, cost);
      history.push({ keys: op.keys, decision });
      return decision;
    }
    case 'peek':
      return target.peek(op.keys);
    case 'reset':
      await target.reset(op.keys);
      return undefined;
    case 'refund': {
      const earlier =
        op.ref === undefined || history.length === 0
          ? undefined
          : history[history.length - 1 - (op.ref % history.length)];
      const keys = op.sameKeys && earlier !== undefined ? earlier.keys : op.keys;
      await target.refund(keys, Math.min(op.cost, smallest), earlier?.decision);
      return undefined;
    }
  }
}

/** The per-limit costs of an op for a target's limits (as many as it has), each at most `smallest`. */
function eachCost(each: readonly number[], smallest: number, target: SetTarget): number[] {
  return each.slice(0, target.size).map((c) => Math.min(c, smallest));
}
