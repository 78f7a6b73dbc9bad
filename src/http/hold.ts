import type { EventEmitter } from 'node:events';

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
  const onClose = (): void => clearTimeout(timer);
  const timer = setTimeout(() => {
    connection.removeListener('close', onClose);
    proceed();
  }, delayMs);
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
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, delayMs);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
