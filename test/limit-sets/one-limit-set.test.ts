/**
 * Regression: a limiter built with `limits` holding one limit is still a
 * limit set. It used to answer as a limiter with one `policy` (MemoryStore's
 * one-limit path, RedisStore's one-limit reply): no `limits`, no `violated`,
 * and a limit in `mode: 'shadow'` enforced — it denied. The service builds a
 * set per request, so a request with one shadow descriptor was limited.
 * (test/redis/limit-sets.test.ts runs the same on Redis.)
 */
import { test } from 'node:test';
import { MemoryStore } from '../../src/index.js';
import { oneLimitSetAnswersAsASet, oneShadowLimitNeverDenies } from '../support/one-limit-set.js';

test('a set of one limit answers as a set: limits and violated', async () => {
  await oneLimitSetAnswersAsASet(new MemoryStore(), 'one');
});

test('a set of one shadow limit never denies', async () => {
  await oneShadowLimitNeverDenies(new MemoryStore(), 'one-shadow');
});
