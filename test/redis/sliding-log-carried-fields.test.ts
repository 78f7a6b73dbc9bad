/**
 * A sliding log's newest entry carries the oldest entry's time and the
 * sentinel's total (`time:cumulative:oldest:base`), so that a decision while
 * nothing has expired reads that one element. Only the newest element's
 * carried fields count: an older one keeps those it was written with. When a
 * refund gives back the whole newest entry, the entry before it becomes the
 * newest; the fields it carried are stale once an admission has trimmed the
 * head since, and must not be read as the log's (the stale base would count a
 * unit that left with the trim). Each scenario decides like the memory store
 * deciding the same calls.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Decision, MemoryStore, RateLimiter, slidingLog } from '../../src/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { redisFixture } from '../support/redis-fixture.js';
import { decisionFields } from '../support/same-as-memory.js';

const db = redisFixture();
const T0 = 1_900_000_000_000;
const WINDOW_MS = 10_000;

/** A limiter on Redis (the general path: an explicit clock) and one in memory, both at T0 + `at()`. */
function twins(limit: number, prefix: string) {
  let now = T0;
  const options = {
    policy: slidingLog({ limit, window: WINDOW_MS }),
    prefix,
    clock: () => now,
    onStoreError: 'throw' as const,
    timeoutMs: Number.POSITIVE_INFINITY,
  };
  const redis = new RateLimiter({ ...options, store: new RedisStore({ client: db.client('ioredis').client }) });
  const memory = new RateLimiter({ ...options, store: new MemoryStore() });
  return { redis, memory, at: (ms: number) => (now = T0 + ms) };
}

test('a refund of the whole newest entry after a trim: the entry before it is read without its stale fields', async () => {
  await db.admin.flushdb();
  const t = twins(3, 'carried-refund');
  // Entries at 0 and 5 s; the admission at 12 s drops the one at 0 s (the sentinel's total becomes 1).
  t.at(0);
  await t.redis.limit('k');
  await t.memory.limit('k');
  t.at(5_000);
  await t.redis.limit('k');
  await t.memory.limit('k');
  t.at(12_000);
  const latest: [Decision, Decision] = [await t.redis.limit('k'), await t.memory.limit('k')];
  // The whole 12 s entry given back: the 5 s entry, written when the oldest was 0 s and the base 0,
  // is the newest again.
  await t.redis.refund('k', { decision: latest[0] });
  await t.memory.refund('k', { decision: latest[1] });
  // Behind the refunded admission's instant, after the 5 s entry's: one unit is live, not two.
  for (const ms of [8_000, 8_000, 9_000]) {
    t.at(ms);
    assert.deepEqual(
      decisionFields(await t.redis.limit('k')),
      decisionFields(await t.memory.limit('k')),
      `at ${ms} ms`,
    );
  }
});

test('admissions that trim the head carry the new oldest entry and base', async () => {
  await db.admin.flushdb();
  const t = twins(5, 'carried-trim');
  // Entries 1 s apart, then admissions that each drop some of them (at a new instant, and at the
  // newest entry's instant), a clock behind the newest entry, and a window that empties.
  const steps: [number, number][] = [
    [0, 1],
    [1_000, 2],
    [2_000, 1],
    [3_000, 1],
    [11_500, 1],
    [12_500, 2],
    [12_500, 1],
    [11_000, 1],
    [13_000, 3],
    [14_000, 1],
    [14_000, 1],
    [30_000, 1],
    [30_500, 2],
  ];
  for (const [ms, cost] of steps) {
    t.at(ms);
    assert.deepEqual(
      decisionFields(await t.redis.limit('k', { cost })),
      decisionFields(await t.memory.limit('k', { cost })),
      `cost ${cost} at ${ms} ms`,
    );
    assert.deepEqual(
      decisionFields(await t.redis.peek('k')),
      decisionFields(await t.memory.peek('k')),
      `peek at ${ms} ms`,
    );
  }
});
