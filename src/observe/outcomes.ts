import type { Decision } from '../policies/decision.js';
import type { LimitSpec, SetDecision } from '../policies/limit-set.js';
import { ONE_OUTCOME, type Outcome } from './events.js';

/** How one limit decided, for the events and the metrics. */
export function outcomeOf(decided: Decision, shadow: boolean): Outcome {
  if (decided.degraded) return decided.allowed ? 'degraded_allowed' : 'degraded_denied';
  if (decided.allowed) return 'allowed';
  return shadow ? 'shadow_denied' : 'denied';
}

/**
 * Each limit's outcome in declaration order. A decision of one policy gets
 * one of the shared one-element arrays: no allocation per event.
 */
export function outcomesOf(limits: readonly LimitSpec[], decided: Decision): readonly Outcome[] {
  const own = (decided as Partial<SetDecision>).limits;
  if (own === undefined) return ONE_OUTCOME[outcomeOf(decided, (limits[0] as LimitSpec).shadow)];
  const each: Outcome[] = [];
  for (const spec of limits) each.push(outcomeOf(own[spec.name] as Decision, spec.shadow));
  return each;
}
