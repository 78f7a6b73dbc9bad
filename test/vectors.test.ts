import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryStore, RateLimiter } from '../src/index.js';
import { loadVectors, replayCase } from './support/vectors.js';

const files = loadVectors();

test('there is one vector file per policy', () => {
  assert.deepEqual(
    files.map((f) => f.file),
    ['fixed-window.json', 'leaky-bucket.json', 'sliding-log.json', 'sliding-window.json', 'token-bucket.json'],
  );
  for (const { cases } of files) assert.ok(cases.length >= 4);
});

for (const { file, cases } of files) {
  describe(`vectors ${file} on MemoryStore`, () => {
    for (const c of cases) {
      test(c.name, async () => {
        await replayCase(c, (policy, clock) => new RateLimiter({ policy, store: new MemoryStore(), clock }));
      });
    }
  });
}
