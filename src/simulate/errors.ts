/** Stable codes of the simulator's own errors (the library's codes live in src/policies/errors.ts). */
export type SimulateErrorCode = 'FG_SIM_TRACE_INVALID' | 'FG_SIM_OPTION_INVALID';

/**
 * A mistake in the simulator's input that the user can fix: a flag value or a
 * line of a trace file. The message names the flag or the file and line, the
 * value and what would be valid.
 *
 * @example
 * throw new SimulateError('FG_SIM_TRACE_INVALID', 'trace.csv:3: timestamp "x" is not a number of milliseconds');
 */
export class SimulateError extends Error {
  readonly code: SimulateErrorCode;
  constructor(code: SimulateErrorCode, message: string) {
    super(`${message} [${code}]`);
    this.name = 'SimulateError';
    this.code = code;
  }
}
