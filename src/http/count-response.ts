import type { EventEmitter } from 'node:events';
import { show } from '../errors.js';
import { logSafely } from '../safe-log.js';
import { isPromiseLike, type Verdict } from './core.js';
import type { MaybePromise } from './options.js';
import { finding, type Logger } from './validation.js';

/**
 * The `countResponse` option: once an admitted request's response is known,
 * asks whether it counts, and if not, refunds what the request spent (the
 * refund is capped at what that admission spent).
 */
export class ResponseCounter<Res> {
  constructor(
    private readonly countOf: (res: Res) => MaybePromise<boolean>,
    private readonly logger: Logger,
    private readonly scope: string,
  ) {}

  /**
   * After an admitted request's response: asks `countResponse` whether it
   * counts, and if not, gives back what it spent. Never throws: what the
   * hook or the refund throws is logged.
   */
  settle(verdict: Verdict, res: Res): void {
    const countOf = this.countOf;
    if (!verdict.decision.allowed || verdict.decision.degraded) return;
    let counted: MaybePromise<boolean>;
    try {
      counted = countOf(res);
    } catch (error) {
      this.countFailed(error);
      return;
    }
    if (isPromiseLike(counted)) {
      Promise.resolve(counted).then(
        (c) => this.counted(verdict, c),
        (error: unknown) => this.countFailed(error),
      );
    } else {
      this.counted(verdict, counted);
    }
  }

  /**
   * {@link settle} once `response` (a node `ServerResponse`) has been sent,
   * or once the client went away without it (then with the status the
   * handler had set, if any). `res` is what `countResponse` receives.
   */
  settleWhenSent(verdict: Verdict, response: EventEmitter, res: Res): void {
    const done = (): void => {
      response.removeListener('finish', done);
      response.removeListener('close', done);
      this.settle(verdict, res);
    };
    response.once('finish', done);
    response.once('close', done);
  }

  private counted(verdict: Verdict, counted: unknown): void {
    if (counted === true) return;
    if (counted !== false) {
      this.countFailed(new TypeError(`it returned ${show(counted)}; it must return true (count) or false (refund)`));
      return;
    }
    verdict.plan.limiter
      .refund(verdict.keys, { cost: verdict.cost, decision: verdict.decision })
      .catch((error: unknown) => this.countFailed(error));
  }

  private countFailed(error: unknown): void {
    // From a response's event: a logger that throws must not end the process.
    logSafely(
      this.logger,
      'error',
      finding(
        'FG_HTTP_COUNT_RESPONSE_FAILED',
        `${this.scope}: countResponse failed, so the request stays counted: ${(error as Error)?.message ?? String(error)}`,
      ),
    );
  }
}
