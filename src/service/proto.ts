import { fileURLToPath } from 'node:url';
import { type GrpcObject, loadPackageDefinition, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

/**
 * The vendored protos: `proto/` at the package root, two levels above both
 * `src/service/` (tests, tsx) and `dist/cli/` (the bundled bin).
 */
export const PROTO_DIR = fileURLToPath(new URL('../../proto/', import.meta.url));

/** rls.proto, relative to {@link PROTO_DIR}. */
export const RLS_PROTO = 'envoy/service/ratelimit/v3/rls.proto';

/**
 * The RateLimitService definition. camelCase fields, enums as names, 64-bit
 * integers as numbers (hits are far below 2^53), absent messages as null, so
 * that an unset `hits_addend` wrapper is told apart from 0.
 */
export function rateLimitService(): ServiceDefinition {
  const definition = loadSync(RLS_PROTO, {
    includeDirs: [PROTO_DIR],
    keepCase: false,
    longs: Number,
    enums: String,
    defaults: true,
    arrays: true,
  });
  const pkg = loadPackageDefinition(definition) as unknown as {
    envoy: { service: { ratelimit: { v3: { RateLimitService: { service: ServiceDefinition } } } } };
  };
  return pkg.envoy.service.ratelimit.v3.RateLimitService.service;
}

export type { GrpcObject };
