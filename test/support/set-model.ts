/**
 * Limit sets written from DESIGN.md "Several limits on one request", apart
 * from src/: the aggregation of the limits' decisions into the set's, and
 * {@link SetMath}, a set decided by the bare policy math with state never
 * forgotten (the reference when the clock goes backwards, where MemoryStore
 * may have reclaimed a key that Redis still holds).
 */
import type { Admission, Decision, Policy, SetDecision, StateVector } from '../../src/index.js';
import { LogState } from '../../src/index.js';

/** What the aggregation needs to know of a limit. */
export interface SetMember {
  readonly name: string;
  readonly shadow: boolean;
}

/**
 * The set's decision from its limits' own decisions (in declaration order):
 * admitted iff every enforced limit admits; `remaining` the least over the
 * enforced limits and `limit` that limit's (the first on a tie); `resetMs` the
 * greatest over them; `retryAfterMs` the greatest among the enforced limits
 * that deny (0 when admitted); `delayMs` the greatest over the enforced limits
 * when admitted, 0 on a denial; `violated` the enforced limits that deny, in
 * order; `shadowDenied` present iff there is a shadow limit. A set of shadow
 * limits only aggregates over all of them (and never delays).
 */
export function aggregate(members: readonly SetMember[], decisions: readonly Decision[]): SetDecision {
  const enforced = members.flatMap((m, i) => (m.shadow ? [] : [i]));
  const pool = enforced.length > 0 ? enforced : members.map((_, i) => i);
  const at = (i: number): Decision => decisions[i] as Decision;
  const violated = enforced.filter((i) => !at(i).allowed).map((i) => (members[i] as SetMember).name);
  const allowed = violated.length === 0;
  let least = pool[0] as number;
  for (const i of pool) if (at(i).remaining < at(least).remaining) least = i;
  const limits: Record<string, Decision> = {};
  for (const [i, m] of members.entries()) limits[m.name] = at(i);
  const result: SetDecision & { shadowDenied?: boolean } = {
    allowed,
    limit: at(least).limit,
    remaining: at(least).remaining,
    resetMs: Math.max(...pool.map((i) => at(i).resetMs)),
    retryAfterMs: allowed ? 0 : Math.max(...enforced.filter((i) => !at(i).allowed).map((i) => at(i).retryAfterMs)),
    delayMs: allowed ? Math.max(0, ...enforced.map((i) => at(i).delayMs)) : 0,
    degraded: decisions.some((d) => d.degraded),
    atMs: at(0).atMs,
    // What the request spent in any limit: its cost where it was recorded.
    spent: Math.max(0, ...decisions.map((d) => d.spent)),
    limits,
    violated,
  };
  if (enforced.length < members.length) result.shadowDenied = members.some((m, i) => m.shadow && !at(i).allowed);
  return result;
}

/** A limit of a {@link SetMath}. */
export interface MathLimit extends SetMember {
  readonly policy: Policy;
}

/** A limit set decided by the policies' own math, one state per (limit, key), kept until reset. */
export class SetMath {
  private readonly states: Map<string, StateVector>[];

  constructor(readonly limits: readonly MathLimit[]) {
    this.states = limits.map(() => new Map());
  }

  private fresh(policy: Policy): StateVector {
    const state = policy.stateSize === 0 ? new LogState() : new Float64Array(policy.stateSize);
    policy.init(state, 0);
    return state;
  }

  /** A limit (commit) or a peek (cost 1, no commit); `cost` is one for every limit or one per limit (0: not counted). */
  decide(keys: readonly string[], cost: number | readonly number[], commit: boolean, now: number): SetDecision {
    const costOf = (i: number): number => (typeof cost === 'number' ? cost : (cost[i] as number));
    const states = this.limits.map((limit, i) => {
      const held = this.states[i]?.get(keys[i] as string);
      return held ?? this.fresh(limit.policy);
    });
    const decisions = this.limits.map((limit, i) =>
      limit.policy.decide(states[i] as StateVector, 0, now, costOf(i), false),
    );
    const all = this.limits.every((limit, i) => limit.shadow || (decisions[i] as Decision).allowed);
    for (const [i, limit] of this.limits.entries()) {
      if (!(decisions[i] as Decision).allowed) continue;
      if (!all) {
        decisions[i] = limit.policy.decide(states[i] as StateVector, 0, now, 0, false);
      } else if (commit) {
        this.states[i]?.set(keys[i] as string, states[i] as StateVector);
        decisions[i] = limit.policy.decide(states[i] as StateVector, 0, now, costOf(i), true);
      }
    }
    return aggregate(this.limits, decisions);
  }

  /** Gives back `costs[i]` units to limit i, as its admission `admissions[i]` (undefined: nothing). */
  refund(
    keys: readonly string[],
    costs: readonly number[],
    admissions: readonly (Admission | undefined)[],
    now: number,
  ): void {
    for (const [i, limit] of this.limits.entries()) {
      const admission = admissions[i];
      const cost = costs[i] as number;
      const state = this.states[i]?.get(keys[i] as string);
      if (admission !== undefined && state !== undefined && cost > 0)
        limit.policy.refund(state, 0, now, cost, admission);
    }
  }

  reset(keys: readonly string[]): void {
    for (const [i, states] of this.states.entries()) states.delete(keys[i] as string);
  }
}
