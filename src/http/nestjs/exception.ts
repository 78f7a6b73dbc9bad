import type { ServerResponse } from 'node:http';
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { RateLimitInfo } from '../options.js';
import { PROBLEM_CONTENT_TYPE } from '../problem.js';

/**
 * The exception a denial throws, so that Nest's exception filters send it:
 * 429 (or 503 when the store is down and `onStoreError` is `'deny'`) with the
 * RFC 9457 problem body; the rate-limit headers and `Retry-After` are
 * already set on the response.
 */
export class RateLimitExceededException extends HttpException {
  constructor(
    body: object,
    status: number,
    /** The decision that denied the request. */
    readonly decision: RateLimitInfo,
  ) {
    super(body, status);
  }
}

/** A Fastify reply (has `raw`), or an Express response (is the node response). */
export interface EitherResponse {
  raw?: ServerResponse;
  sent?: boolean;
  header?(name: string, value: string): unknown;
  setHeader?(name: string, value: string): unknown;
  code?(status: number): EitherResponse;
  send?(body: string | Buffer): unknown;
}

/** Whether a response was already sent (by `onLimited`, say): then nothing may be written any more. */
export function isSent(res: EitherResponse): boolean {
  return res.sent === true || (res.raw ?? (res as ServerResponse)).headersSent;
}

/**
 * Sends a {@link RateLimitExceededException} as the adapters of the other
 * frameworks send a denial: its status and problem body with the media type
 * `application/problem+json` exactly. Nest's default filter would send it
 * through Express's `res.json`, which appends `; charset=utf-8` (JSON is
 * UTF-8 by definition, RFC 8259, and problem+json has no charset parameter).
 * If `onLimited` already answered, it only ends the response. The module
 * registers it globally; a filter of the application's own for this
 * exception (or a catch-all one) takes precedence, as Nest orders filters.
 */
export class FlowgateExceptionFilter implements ExceptionFilter<RateLimitExceededException> {
  catch(exception: RateLimitExceededException, host: ArgumentsHost): void {
    const res = host.getArgByIndex<EitherResponse>(1);
    const raw = res.raw ?? (res as ServerResponse);
    if (isSent(res)) {
      if (!raw.writableEnded) raw.end();
      return;
    }
    const body = JSON.stringify(exception.getResponse());
    const status = exception.getStatus();
    if (res.raw !== undefined && typeof res.code === 'function') {
      // A Buffer: Fastify appends a charset to the content type of a string payload.
      (res.code(status) as Required<EitherResponse>).header('content-type', PROBLEM_CONTENT_TYPE);
      (res as Required<EitherResponse>).send(Buffer.from(body));
      return;
    }
    raw.statusCode = status;
    raw.setHeader('Content-Type', PROBLEM_CONTENT_TYPE);
    raw.setHeader('Content-Length', Buffer.byteLength(body));
    raw.end(body);
  }
}
Catch(RateLimitExceededException)(FlowgateExceptionFilter);
