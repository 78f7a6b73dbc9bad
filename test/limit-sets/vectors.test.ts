import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryStore, RateLimiter } from '../../src/index.js';
import { loadSetVectors, replaySetCase } from '../support/set-vectors.js';

const cases = loadSetVectors();

test('the limit-set vectors cover every algorithm, shadow limits, peeks and refunds', () => {
  const factories = new Set(cases.flatMap((c) => Object.values(c.limits).map((limit) => limit.factory)));
  assert.deepEqual([...factories].sort(), ['fixedWindow', 'leakyBucket', 'slidingLog', 'slidingWindow', 'tokenBucket']);
  const steps = cases.flatMap((c) => c.steps);
  assert.ok(cases.some((c) => Object.values(c.limits).some((limit) => limit.mode === 'shadow')));
  assert.ok(steps.some((s) => s.peek));
  assert.ok(steps.some((s) => s.refund && s.decisionOf !== undefined));
  assert.ok(steps.some((s) => s.refund && s.decisionOf === undefined));
  assert.ok(steps.some((s) => (s.violated?.length ?? 0) > 1));
  assert.ok(steps.some((s) => (s.delayMs ?? 0) > 0));
});

describe('limit-set vectors on MemoryStore', () => {
  for (const c of cases) {
    test(c.name, async () => {
      await replaySetCase(c, (limits, clock) => new RateLimiter({ limits, store: new MemoryStore(), clock }));
    });
  }
});
