import type { EventEmitter } from 'node:events';

/**
 * The longest delay `setTimeout` honours: Node (like browsers) stores it as a
 * signed 32-bit number and fires anything longer after 1 ms, which would
 * serve a held request at once.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A timer for any delay: longer ones are chained from timers of at most {@link MAX_TIMER_MS}. */
class LongTimer {
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private remainingMs: number,
    private readonly fire: () => void,
  ) {
    this.arm();
  }

  cancel(): void {
    clearTimeout(this.timer);
  }

  private arm(): void {
    const step = Math.min(this.remainingMs, MAX_TIMER_MS);
    this.remainingMs -= step;
    this.timer = setTimeout(this.remainingMs > 0 ? () => this.arm() : this.fire, step);
  }
}

/**
 * Holds an admitted leaky-bucket request `delayMs` before `proceed()`, unless
 * `connection` emits `'close'` first (the client went away): then the timer
 * is released and `proceed` is never called, so no handler runs for nobody.
 * `connection` is the response (`ServerResponse`), which emits `'close'` when
 * the socket closes before the response was sent.
 *
 * @example
 * holdRequest(res, decision.delayMs, next);
 */
export function holdRequest(connection: EventEmitter, delayMs: number, proceed: () => void): void {
  const onClose = (): void => timer.cancel();
  const timer = new LongTimer(delayMs, () => {
    connection.removeListener('close', onClose);
    proceed();
  });
  connection.once('close', onClose);
}

/**
 * The promise form for fetch-style runtimes: resolves `true` after `delayMs`,
 * or `false` as soon as `signal` aborts (the client disconnected).
 */
export function holdUntil(signal: AbortSignal | undefined, delayMs: number): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      timer.cancel();
      resolve(false);
    };
    const timer = new LongTimer(delayMs, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
