import { costOf, type StoreCost } from './costs.js';
import type { Decision } from './policies/decision.js';
import type { LimitSpec, SetDecision } from './policies/limit-set.js';
import type { Refund } from './policies/policy.js';

/** A decision that spent nothing (a limit missing from a set decision passed to refund). */
const NOTHING_SPENT: Decision = {
  allowed: false,
  limit: 0,
  remaining: 0,
  resetMs: 0,
  retryAfterMs: 0,
  delayMs: 0,
  degraded: false,
  atMs: 0,
  spent: 0,
};

/**
 * What refunds of a limiter's decisions may give back: per limit, up to
 * its `cost` units of what the admission spent there (`spent`: 0 for a denial,
 * a degraded decision or a shadow limit that would have denied), less what
 * earlier refunds of the same decision took. Taken before the store call,
 * so that concurrent refunds of one decision cannot each give it all back.
 */
export class RefundLedger {
  /** Units taken so far per limit decision (refunds only: never on the decision path). */
  private readonly taken = new WeakMap<Decision, number>();

  constructor(private readonly limits: readonly LimitSpec[]) {}

  /**
   * Takes what a refund of `decision` gives back to each limit (undefined
   * where nothing), or undefined when nothing is left. Without a decision,
   * `cost` from each key's latest admission (nothing to take from).
   */
  take(decision: Decision | undefined, cost: StoreCost): (Refund | undefined)[] | undefined {
    if (decision === undefined) {
      // A limit whose cost is 0 is given nothing.
      const refunds = this.limits.map((_, i) => {
        const units = costOf(cost, i);
        return units > 0 ? { atMs: Number.NaN, resetMs: Number.NaN, cost: units } : undefined;
      });
      return refunds.some((r) => r !== undefined) ? refunds : undefined;
    }
    // A denied or degraded request spent nothing, whatever its fields say.
    if (!decision.allowed || decision.degraded) return undefined;
    let any = false;
    const refunds = this.ownDecisions(decision).map((d, i) => {
      if (!d.allowed || d.degraded) return undefined;
      const units = Math.min(costOf(cost, i), d.spent - (this.taken.get(d) ?? 0));
      if (!(units > 0)) return undefined;
      this.taken.set(d, (this.taken.get(d) ?? 0) + units);
      any = true;
      return { atMs: d.atMs, resetMs: d.resetMs, cost: units };
    });
    return any ? refunds : undefined;
  }

  /** Puts back what {@link take} took for a refund that the store did not apply (or may not have). */
  putBack(decision: Decision | undefined, refunds: readonly (Refund | undefined)[]): void {
    if (decision === undefined) return;
    for (const [i, d] of this.ownDecisions(decision).entries()) {
      const units = refunds[i]?.cost ?? 0;
      if (units > 0) this.taken.set(d, (this.taken.get(d) ?? 0) - units);
    }
  }

  /** Each limit's own decision within `decision` (the decision itself for one policy). */
  private ownDecisions(decision: Decision): Decision[] {
    const own = (decision as Partial<SetDecision>).limits;
    if (own === undefined) return [decision];
    // A limit missing from a decision (not this limiter's) gave nothing: it refunds nothing.
    return this.limits.map((spec) => own[spec.name] ?? NOTHING_SPENT);
  }
}
