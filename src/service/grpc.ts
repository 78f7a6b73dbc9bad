import { Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData, status } from '@grpc/grpc-js';
import type { Unit } from './config.js';
import { ServeRequestError } from './errors.js';
import { rateLimitService } from './proto.js';
import type { RlsDescriptor, RlsRequest, RlsResponse } from './rls.js';

/** A RateLimitRequest as proto-loader decodes it (see `rateLimitService`). */
interface WireRequest {
  domain: string;
  descriptors: {
    entries: { key: string; value: string }[];
    limit: { requestsPerUnit: number; unit: string } | null;
    hitsAddend: { value: number } | null;
  }[];
  hitsAddend: number;
}

/** Envoy's RateLimitUnit names (the override's enum has no WEEK). */
const OVERRIDE_UNITS: Record<string, Unit> = {
  SECOND: 'second',
  MINUTE: 'minute',
  HOUR: 'hour',
  DAY: 'day',
  MONTH: 'month',
  YEAR: 'year',
};

export function fromWire(wire: WireRequest): RlsRequest {
  return {
    domain: wire.domain,
    hitsAddend: wire.hitsAddend,
    descriptors: wire.descriptors.map((d, i): RlsDescriptor => {
      let limit: RlsDescriptor['limit'];
      if (d.limit !== null) {
        const unit = OVERRIDE_UNITS[d.limit.unit];
        if (unit === undefined) {
          throw new ServeRequestError(
            `descriptors[${i}].limit.unit: found ${d.limit.unit}, expected one of ${Object.keys(OVERRIDE_UNITS).join(', ')}`,
          );
        }
        limit = { requestsPerUnit: d.limit.requestsPerUnit, unit };
      }
      return { entries: d.entries, limit, hitsAddend: d.hitsAddend === null ? undefined : d.hitsAddend.value };
    }),
  };
}

/** The response as proto-loader encodes it: enums by name, Duration as seconds and nanos. */
export function toWire(response: RlsResponse): object {
  return {
    overallCode: response.overallCode,
    statuses: response.statuses.map((s) => ({
      code: s.code,
      currentLimit:
        s.currentLimit === undefined
          ? null
          : {
              name: s.currentLimit.name,
              requestsPerUnit: s.currentLimit.requestsPerUnit,
              unit: s.currentLimit.unit.toUpperCase(),
            },
      limitRemaining: s.limitRemaining,
      durationUntilReset:
        s.durationUntilResetMs === undefined
          ? null
          : { seconds: Math.floor(s.durationUntilResetMs / 1000), nanos: (s.durationUntilResetMs % 1000) * 1_000_000 },
    })),
    responseHeadersToAdd: response.responseHeadersToAdd,
  };
}

/** What the gRPC server asks of the service. */
export interface GrpcHandler {
  decide(request: RlsRequest): Promise<RlsResponse>;
  /** Called with each call's outcome and duration, for the metrics. */
  observed(code: string, seconds: number): void;
}

/**
 * `envoy.service.ratelimit.v3.RateLimitService` on plaintext HTTP/2. A
 * malformed request is INVALID_ARGUMENT; a store failure under
 * `--on-store-error error` is UNAVAILABLE (Envoy then applies its own
 * `failure_mode_deny`).
 */
export async function startGrpc(
  handler: GrpcHandler,
  host: string,
  port: number,
): Promise<{ server: Server; port: number }> {
  // Channelz (grpc-js's per-call tracing for its admin service, which the service does not expose) off:
  // it was 4 % of the CPU of a call under load.
  const server = new Server({ 'grpc.enable_channelz': 0 });
  server.addService(rateLimitService(), {
    ShouldRateLimit(call: ServerUnaryCall<WireRequest, object>, callback: sendUnaryData<object>): void {
      const started = performance.now();
      const done = (code: string): void => handler.observed(code, (performance.now() - started) / 1000);
      let request: RlsRequest;
      try {
        request = fromWire(call.request);
      } catch (error) {
        done('INVALID_ARGUMENT');
        callback({ code: status.INVALID_ARGUMENT, details: (error as Error).message });
        return;
      }
      handler.decide(request).then(
        (response) => {
          done(response.overallCode);
          callback(null, toWire(response));
        },
        (error: unknown) => {
          const invalid = error instanceof ServeRequestError;
          done(invalid ? 'INVALID_ARGUMENT' : 'UNAVAILABLE');
          callback({ code: invalid ? status.INVALID_ARGUMENT : status.UNAVAILABLE, details: (error as Error).message });
        },
      );
    },
  });
  const bound = await new Promise<number>((resolve, reject) => {
    server.bindAsync(
      `${host.includes(':') ? `[${host}]` : host}:${port}`,
      ServerCredentials.createInsecure(),
      (error, p) => (error ? reject(error) : resolve(p)),
    );
  });
  return { server, port: bound };
}
