/**
 * The Envoy RLS v3 messages as the service handles them, independent of the
 * transport: `@grpc/proto-loader` objects (gRPC) and proto3 JSON (`POST /json`)
 * both become these, with enums as names and 64-bit values as numbers.
 */
import type { Unit } from './config.js';
import type { Entry } from './match.js';

export interface RlsDescriptor {
  readonly entries: readonly Entry[];
  /** `limit`: Envoy's per-descriptor override of the configured limit. */
  readonly limit?: { readonly requestsPerUnit: number; readonly unit: Unit } | undefined;
  /** The per-descriptor `hits_addend` when set (0 included: counts nothing). */
  readonly hitsAddend?: number | undefined;
}

export interface RlsRequest {
  readonly domain: string;
  readonly descriptors: readonly RlsDescriptor[];
  /** The request-level `hits_addend`; 0 means 1, as upstream. */
  readonly hitsAddend: number;
}

export type Code = 'OK' | 'OVER_LIMIT';

export interface DescriptorStatus {
  readonly code: Code;
  readonly currentLimit?: { readonly name: string; readonly requestsPerUnit: number; readonly unit: Unit };
  readonly limitRemaining: number;
  /** Milliseconds; absent for an unmatched or unlimited descriptor. */
  readonly durationUntilResetMs?: number;
}

export interface RlsResponse {
  readonly overallCode: Code;
  readonly statuses: readonly DescriptorStatus[];
  readonly responseHeadersToAdd: readonly { readonly key: string; readonly value: string }[];
}
