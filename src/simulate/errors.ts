import { type ErrorCode, errorDocs } from '../errors.js';

/** The codes of the simulator's own errors (`flowgate simulate`), each with a section in docs/errors.md. */
export const SIMULATE_ERROR_CODES = [
  'FG_SIM_OPTION_INVALID',
  'FG_SIM_TRACE_INVALID',
  'FG_SIM_TRACE_SECONDS',
  'FG_SIM_OUT_UNWRITABLE',
] as const satisfies readonly ErrorCode[];

/** One of {@link SIMULATE_ERROR_CODES}. */
export type SimulateErrorCode = (typeof SIMULATE_ERROR_CODES)[number];

/**
 * A mistake in the simulator's input that the user can fix: a flag value, the
 * `--out` path or a line of a trace file. The message names the flag or the
 * file and line, the value and what would be valid, and links to the code's
 * section in docs/errors.md.
 *
 * @example
 * throw new SimulateError('FG_SIM_TRACE_INVALID', 'trace.csv:3: timestamp "x" is not a number of milliseconds');
 */
export class SimulateError extends Error {
  readonly code: SimulateErrorCode;
  constructor(code: SimulateErrorCode, message: string) {
    super(`${message} [${code}, see ${errorDocs(code)}]`);
    this.name = 'SimulateError';
    this.code = code;
  }
}
