/**
 * Attack: a refund on a set of two sliding logs. Each log's refund reads its
 * list from the newest entry back to the admission it gives back; a log used
 * to write its refund as soon as it had read, so when the second log met an
 * entry flowgate did not write, the request failed with the first log's
 * refund written (the set's counters were undone, the first log was not). A
 * request that fails must write nothing: both lists are left byte for byte,
 * and a set decided later in the same call counts as if the refund had never
 * been asked.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type Decision,
  fixedWindow,
  MemoryStore,
  RateLimiter,
  StoreRequestError,
  slidingLog,
} from '../../src/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { redisFixture } from '../support/redis-fixture.js';

const db = redisFixture();

const BASE = 1_900_000_000_000;
const WINDOW_MS = 10_000;

async function keyOf(pattern: string): Promise<string> {
  const keys = await db.admin.keys(pattern);
  assert.equal(keys.length, 1, pattern);
  return keys[0] as string;
}

test("a set's refund whose second log meets a foreign entry gives nothing back in the first log", async () => {
  let now = BASE;
  const options = {
    limits: {
      user: fixedWindow({ limit: 100, window: '1h' }),
      first: slidingLog({ limit: 10, window: WINDOW_MS }),
      second: slidingLog({ limit: 10, window: WINDOW_MS }),
    },
    prefix: 'two',
    clock: () => now,
    timeoutMs: Number.POSITIVE_INFINITY,
  } as const;
  const redis = new RateLimiter({
    ...options,
    store: new RedisStore({ client: db.client('ioredis').client }),
    onStoreError: 'throw',
  });
  const memory = new RateLimiter({ ...options, store: new MemoryStore() });
  const bad = { user: 'u', first: 'a', second: 'bad' };
  const good = { user: 'u', first: 'a', second: 'g' };
  const admitted: Decision[] = [];
  for (let i = 0; i < 10; i++) {
    now = BASE + i * 1000;
    admitted.push(await redis.limit(bad));
    await memory.limit(bad);
  }
  const [first, second] = [await keyOf('{two:a}*first*'), await keyOf('{two:bad}*second*')];
  // The admission at 2 s: each log's walk reads entries 10 back to 2; the second's meets entry 4.
  await db.admin.lset(second, 4, 'garbage');
  const dumped = [await db.admin.dump(first), await db.admin.dump(second)];
  now = BASE + 9_500;
  const [refunded, after] = await Promise.allSettled([
    redis.refund(bad, { decision: admitted[2] as Decision }),
    redis.limit(good),
  ]);
  assert.equal(refunded.status, 'rejected');
  const reason = (refunded as PromiseRejectedResult).reason;
  assert.ok(reason instanceof StoreRequestError, String(reason));
  assert.match(reason.message, /flowgate did not write/);
  // The first log still counts the unit at 2 s: 10 live units, so the good set is denied as on memory.
  assert.deepEqual(after, { status: 'fulfilled', value: await memory.limit(good) });
  assert.deepEqual([await db.admin.dump(first), await db.admin.dump(second)], dumped, 'both lists as they were');
});
