/** A @grpc/grpc-js client of the service, on the vendored protos. */
import { credentials, loadPackageDefinition, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { PROTO_DIR, RLS_PROTO } from '../../../src/service/proto.js';

export interface Descriptor {
  entries: { key: string; value: string }[];
  hitsAddend?: { value: number };
  limit?: { requestsPerUnit: number; unit: string };
}

export interface Status {
  code: 'OK' | 'OVER_LIMIT';
  currentLimit: { name: string; requestsPerUnit: number; unit: string } | null;
  limitRemaining: number;
  durationUntilReset: { seconds: number; nanos: number } | null;
}

export interface Response {
  overallCode: 'OK' | 'OVER_LIMIT';
  statuses: Status[];
  responseHeadersToAdd: { key: string; value: string }[];
}

type Unary = (request: object, callback: (error: ServiceError | null, response: Response) => void) => void;

export class RlsClient {
  private readonly client: { ShouldRateLimit: Unary; close(): void };

  constructor(port: number) {
    const definition = loadSync(RLS_PROTO, {
      includeDirs: [PROTO_DIR],
      longs: Number,
      enums: String,
      defaults: true,
      arrays: true,
    });
    const pkg = loadPackageDefinition(definition) as unknown as {
      envoy: {
        service: {
          ratelimit: { v3: { RateLimitService: new (address: string, creds: unknown) => RlsClient['client'] } };
        };
      };
    };
    this.client = new pkg.envoy.service.ratelimit.v3.RateLimitService(
      `127.0.0.1:${port}`,
      credentials.createInsecure(),
    );
  }

  call(domain: string, descriptors: Descriptor[], hitsAddend = 0): Promise<Response> {
    return new Promise((resolve, reject) => {
      this.client.ShouldRateLimit({ domain, descriptors, hitsAddend }, (error, response) =>
        error ? reject(error) : resolve(response),
      );
    });
  }

  close(): void {
    this.client.close();
  }
}

/** One descriptor from `key, value` pairs. */
export function d(...pairs: string[]): Descriptor {
  const entries: Descriptor['entries'] = [];
  for (let i = 0; i < pairs.length; i += 2) entries.push({ key: pairs[i] as string, value: pairs[i + 1] as string });
  return { entries };
}
