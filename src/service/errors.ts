import { type ErrorCode, errorDocs } from '../errors.js';

/** The codes of `flowgate serve`'s own errors, each with a section in docs/errors.md. */
export const SERVE_ERROR_CODES = [
  'FG_SERVE_CONFIG_INVALID',
  'FG_SERVE_CONFIG_UNREADABLE',
  'FG_SERVE_REQUEST_INVALID',
] as const satisfies readonly ErrorCode[];

/** One of {@link SERVE_ERROR_CODES}. */
export type ServeErrorCode = (typeof SERVE_ERROR_CODES)[number];

/**
 * A rate limit configuration file that cannot be used. The message names the
 * file, the path inside it (`descriptors[0].rate_limit.unit`), what was found
 * and what would be valid, like envoyproxy/ratelimit's `file: error` messages
 * but with the path and the remedy.
 *
 * @example
 * new ServeConfigError('FG_SERVE_CONFIG_INVALID', 'a.yaml', 'descriptors[0].rate_limit.unit', '"minutes"', 'one of second, minute, …');
 */
export class ServeConfigError extends Error {
  readonly code: ServeErrorCode;
  constructor(
    code: ServeErrorCode,
    readonly file: string,
    readonly path: string,
    readonly found: string,
    readonly valid: string,
  ) {
    super(
      `${file}: ${path === '' ? '' : `${path}: `}found ${found}; expected ${valid} [${code}, see ${errorDocs(code)}]`,
    );
    this.name = 'ServeConfigError';
    this.code = code;
  }
}

/** A request the service cannot decide (no domain, no descriptors, an empty key): gRPC INVALID_ARGUMENT, HTTP 400. */
export class ServeRequestError extends Error {
  readonly code: ServeErrorCode = 'FG_SERVE_REQUEST_INVALID';
  constructor(message: string) {
    super(`${message} [FG_SERVE_REQUEST_INVALID, see ${errorDocs('FG_SERVE_REQUEST_INVALID')}]`);
    this.name = 'ServeRequestError';
  }
}
