import { channel } from 'node:diagnostics_channel';
import type { Decision } from '../policies/decision.js';
import { COUNTED } from './recorders.js';

/**
 * What every limiter publishes on Node's `diagnostics_channel`. Messages are
 * built only while a channel has subscribers, so an unobserved limiter pays
 * one property read per decision. A subscriber runs synchronously inside the
 * decision: keep it cheap. One that throws does not change the decision (nor
 * keep other subscribers from the message): Node reports its error as an
 * uncaught exception on the next tick, as for every `diagnostics_channel`.
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
  /**
   * How long the store call took, in ms (fractional): from the limiter's
   * call into the store (its client) to the answer. Undefined when
   * there was nothing to wait for: a store that decides in-process and
   * answers synchronously (`MemoryStore`), a denial from the denial cache, or
   * an answer from the failure policy (the failure itself is a
   * {@link StoreErrorEvent}).
   */
  readonly storeMs: number | undefined;
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

/**
 * The message of {@link CHANNELS}.decision: a class, so that building one
 * allocates one object, and the keys sit in a private field that only
 * `keys()` reads.
 */
export class DecisionMessage implements DecisionEvent {
  /** One limit's key as a string (no array per event), or a set's keys. */
  readonly #keys: string | readonly string[];

  constructor(
    readonly limiter: string,
    readonly limits: readonly string[],
    readonly operation: 'limit' | 'peek',
    readonly cost: number,
    readonly decision: Decision,
    readonly outcomes: readonly Outcome[],
    readonly storeMs: number | undefined,
    keys: string | readonly string[],
  ) {
    this.#keys = keys;
  }

  keys(): readonly string[] {
    const keys = this.#keys;
    return typeof keys === 'string' ? [keys] : keys;
  }
}

// Every message a limiter builds was counted by the registered recorders before it was published.
Object.defineProperty(DecisionMessage.prototype, COUNTED, { value: true });

/** The outcomes of a one-limit decision, shared: a limiter with one policy allocates no array per event. */
export const ONE_OUTCOME: Readonly<Record<Outcome, readonly Outcome[]>> = {
  allowed: Object.freeze(['allowed']),
  denied: Object.freeze(['denied']),
  shadow_denied: Object.freeze(['shadow_denied']),
  degraded_allowed: Object.freeze(['degraded_allowed']),
  degraded_denied: Object.freeze(['degraded_denied']),
};

export const decisionChannel = channel(CHANNELS.decision);
export const storeErrorChannel = channel(CHANNELS.storeError);
export const healthChannel = channel(CHANNELS.health);
