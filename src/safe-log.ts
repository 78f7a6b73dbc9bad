/** The methods a logger needs here (`Logger` of the limiter and of the HTTP options). */
interface LineLogger {
  warn(message: string): unknown;
  error(message: string): unknown;
}

/**
 * Writes a line through the application's logger, which runs inside a
 * decision or a response's event: whatever it throws, or rejects (an async
 * logger), stays here, so that a log line never changes a decision nor ends
 * the process.
 */
export function logSafely(logger: LineLogger | undefined, level: 'warn' | 'error', line: string): void {
  if (logger === undefined) return;
  try {
    const written = logger[level](line);
    if (typeof (written as PromiseLike<void> | undefined)?.then === 'function') {
      (written as PromiseLike<void>).then(undefined, ignore);
    }
  } catch {
    // The logger's own failure has nowhere better to go.
  }
}

function ignore(): void {}
