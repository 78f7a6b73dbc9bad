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
] as const;
