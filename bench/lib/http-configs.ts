// The configurations bench/http.ts measures, in report order.
export const CONFIGS = [
  'fastify',
  'fastify+flowgate',
  'fastify+flowgate-redis',
  'fastify+@fastify/rate-limit',
  'fastify+@fastify/rate-limit-redis',
  'express',
  'express+flowgate',
  'express+express-rate-limit',
  'koa',
  'koa+flowgate',
  'koa+koa-ratelimit',
  'nestjs',
  'nestjs+flowgate',
  'nestjs+@nestjs/throttler',
] as const;

/** The bare framework a configuration is measured against: the part before the '+'. */
export function baseOf(config: string): string {
  return config.split('+')[0] as string;
}
