// The configurations bench/http.ts measures, in report order.
export const CONFIGS = [
  'fastify',
  'fastify+flowgate',
  'fastify+flowgate-redis',
  'fastify+@fastify/rate-limit',
  'fastify+@fastify/rate-limit-redis',
  'fastify+headers-only',
  'express',
  'express+flowgate',
  'express+express-rate-limit',
  'express+noop',
  'express+headers-only',
  'koa',
  'koa+flowgate',
  'koa+koa-ratelimit',
  'koa+headers-only',
  'nestjs',
  'nestjs+flowgate',
  'nestjs+@nestjs/throttler',
  'nestjs+noop-guard',
  'nestjs-fastify',
  'nestjs-fastify+flowgate',
  'nestjs-fastify+@nestjs/throttler',
] as const;

/** For each framework: flowgate's configuration and the best-known peer's (memory stores), for the verdicts. */
export const MATCHES: readonly { framework: string; ours: string; theirs: string }[] = [
  { framework: 'Fastify', ours: 'fastify+flowgate', theirs: 'fastify+@fastify/rate-limit' },
  { framework: 'Fastify, Redis', ours: 'fastify+flowgate-redis', theirs: 'fastify+@fastify/rate-limit-redis' },
  { framework: 'Express', ours: 'express+flowgate', theirs: 'express+express-rate-limit' },
  { framework: 'Koa', ours: 'koa+flowgate', theirs: 'koa+koa-ratelimit' },
  { framework: 'NestJS (Express platform)', ours: 'nestjs+flowgate', theirs: 'nestjs+@nestjs/throttler' },
  {
    framework: 'NestJS (Fastify platform)',
    ours: 'nestjs-fastify+flowgate',
    theirs: 'nestjs-fastify+@nestjs/throttler',
  },
];

/** The bare framework a configuration is measured against: the part before the '+'. */
export function baseOf(config: string): string {
  return config.split('+')[0] as string;
}
