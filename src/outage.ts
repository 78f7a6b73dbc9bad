import type { StoreErrorPolicy } from './failure.js';
import type { Logger } from './limiter-options.js';
import { healthChannel, type StoreErrorKind, storeErrorChannel } from './observe/events.js';
import { logSafely } from './safe-log.js';

/**
 * Notices a limiter's store failing and recovering, so an outage is never
 * silent and never floods: one log line (and one health event) when the
 * first decision falls to the failure policy, one when the store answers
 * again; a store-error event for every failure.
 */
export class OutageWatch {
  /** When the outage started (performance.now()), or undefined while healthy. */
  private since: number | undefined = undefined;
  private degraded = 0;
  /** Whether a request-level failure was already logged: those are logged once, not per outage. */
  private reportedRequestFailure = false;

  constructor(
    private readonly name: string,
    private readonly onStoreError: StoreErrorPolicy,
    private readonly logger: Logger | undefined,
  ) {}

  /** A store call failed and the failure policy answered. */
  failed(operation: 'limit' | 'peek' | 'refund' | 'reset', error: unknown): void {
    const kind = kindOf(error);
    if (storeErrorChannel.hasSubscribers) storeErrorChannel.publish({ limiter: this.name, operation, kind, error });
    if (kind === 'request') {
      // One key the store cannot decide, not an outage: said once, and the store stays healthy.
      if (!this.reportedRequestFailure) {
        this.reportedRequestFailure = true;
        logSafely(
          this.logger,
          'error',
          `flowgate: limiter ${JSON.stringify(this.name)}: ${describe(error)}; such requests are decided by ` +
            `onStoreError '${this.onStoreError}' (reported once) [FG_STORE_REQUEST_FAILED, see docs/errors.md#fg_store_request_failed]`,
        );
      }
      return;
    }
    this.degraded++;
    if (this.since !== undefined) return;
    this.since = performance.now();
    logSafely(
      this.logger,
      'error',
      `flowgate: limiter ${JSON.stringify(this.name)}: the store failed (${describe(error)}); ` +
        `deciding by onStoreError '${this.onStoreError}' (${POLICY_WORDS[this.onStoreError]}) until it answers again ` +
        '[FG_STORE_DEGRADED, see docs/errors.md#fg_store_degraded]',
    );
    if (healthChannel.hasSubscribers) healthChannel.publish({ limiter: this.name, healthy: false, error });
  }

  /** A store call succeeded: ends an outage, if there was one. */
  succeeded(): void {
    if (this.since === undefined) return;
    const outageMs = Math.round(performance.now() - this.since);
    const degradedDecisions = this.degraded;
    this.since = undefined;
    this.degraded = 0;
    logSafely(
      this.logger,
      'warn',
      `flowgate: limiter ${JSON.stringify(this.name)}: the store answers again after ${outageMs} ms; ` +
        `${degradedDecisions} calls were answered by onStoreError meanwhile [FG_STORE_RECOVERED, see docs/errors.md#fg_store_recovered]`,
    );
    if (healthChannel.hasSubscribers) {
      healthChannel.publish({ limiter: this.name, healthy: true, outageMs, degradedDecisions });
    }
  }

  /** Whether the store is failing now. */
  get failing(): boolean {
    return this.since !== undefined;
  }
}

const POLICY_WORDS: Record<StoreErrorPolicy, string> = {
  allow: 'failing open: requests are admitted uncounted',
  deny: 'failing closed: requests are denied',
  throw: 'rejecting every call',
};

function kindOf(error: unknown): StoreErrorKind {
  const e = error as { code?: unknown; late?: unknown } | null;
  if (e?.code === 'FG_STORE_TIMEOUT') return e.late === true ? 'late' : 'timeout';
  if (e?.code === 'FG_STORE_OVERLOADED') return 'overloaded';
  if (e?.code === 'FG_STORE_REQUEST_FAILED') return 'request';
  return 'error';
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
