import { channel } from 'node:diagnostics_channel';
import type { Decision } from '../policies/decision.js';

/**
 * What every limiter publishes on Node's `diagnostics_channel`. Messages are
 * built only while a channel has subscribers, so an unobserved limiter pays
 * one property read per decision.
 *
 * @example
 * import { subscribe } from 'node:diagnostics_channel';
 * import { CHANNELS, type DecisionEvent } from 'flowgate';
 * subscribe(CHANNELS.decision, (message) => {
 *   const event = message as DecisionEvent;
 *   if (!event.decision.allowed) console.log(`${event.limiter}: denied`);
 * });
 */
export const CHANNELS = {
  /** Every decision of `limit` and `peek`: a {@link DecisionEvent}. */
  decision: 'flowgate:decision',
  /** Every store error or timeout, answered by `onStoreError`: a {@link StoreErrorEvent}. */
  storeError: 'flowgate:store-error',
  /** Each change between a healthy and a failing store: a {@link HealthEvent}. */
  health: 'flowgate:health',
} as const;

/** How one limit (or a limiter with one policy) decided a request. */
export type Outcome = 'allowed' | 'denied' | 'shadow_denied' | 'degraded_allowed' | 'degraded_denied';

/** Published on {@link CHANNELS}.decision. */
export interface DecisionEvent {
  /** The limiter's `name`. */
  readonly limiter: string;
  /** Its limits' names, in declaration order (`['default']` for a limiter with one `policy`). */
  readonly limits: readonly string[];
  readonly operation: 'limit' | 'peek';
  readonly cost: number;
  /** The decision returned to the caller (with `limits` for a set). */
  readonly decision: Decision;
  /** Per limit (same order as `limits`), how it decided. */
  readonly outcomes: readonly Outcome[];
  /** How long the store took, in ms (0 for an answer from the denial cache or the failure policy). */
  readonly storeMs: number;
  /**
   * The request's keys, per limit. A function, so that a subscriber reads
   * them only on purpose: keys often identify users.
   */
  keys(): readonly string[];
}

/**
 * What went wrong with the store: no answer in time, an answer after the
 * caller gave up (committed nothing), too many calls waiting, one request
 * the store could not decide (a key of the wrong kind), or any other error.
 */
export type StoreErrorKind = 'timeout' | 'late' | 'overloaded' | 'request' | 'error';

/** Published on {@link CHANNELS}.storeError. */
export interface StoreErrorEvent {
  readonly limiter: string;
  readonly operation: 'limit' | 'peek' | 'refund' | 'reset';
  readonly kind: StoreErrorKind;
  readonly error: unknown;
}

/** Published on {@link CHANNELS}.health when a limiter's store starts or stops failing. */
export interface HealthEvent {
  readonly limiter: string;
  readonly healthy: boolean;
  /** The error that started the outage (when `healthy` is false). */
  readonly error?: unknown;
  /** With `healthy: true`: how long the outage lasted, and how many decisions the failure policy made. */
  readonly outageMs?: number;
  readonly degradedDecisions?: number;
}

export const decisionChannel = channel(CHANNELS.decision);
export const storeErrorChannel = channel(CHANNELS.storeError);
export const healthChannel = channel(CHANNELS.health);
