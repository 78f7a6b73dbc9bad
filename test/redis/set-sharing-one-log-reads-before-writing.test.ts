/**
 * Attack: a set whose limits share one sliding log (state named by key only,
 * SHARED_STATE as `flowgate serve` names it, and one key for both limits).
 * The committing pass decides the second limit after the first one's
 * admission, on the log as that admission left it: where the second then
 * denies, its scan reads entries that no decision of the first pass read. A
 * foreign entry there used to fail the request after the first limit's
 * admission had been written. A request that fails must write nothing: the
 * entries the committing pass can read are read before anything is written.
 * Without the foreign entry, the set decides exactly as on the memory store.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStore, RateLimiter, StoreRequestError, slidingLog } from '../../src/index.js';
import { SHARED_STATE } from '../../src/limiter-options.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { redisFixture } from '../support/redis-fixture.js';

const db = redisFixture();

const BASE = 1_900_000_000_000;
const WINDOW_MS = 10_000;

/** One log under two limits of a set, and the one-policy limiter that names the same key, on Redis and memory. */
function twins(prefix: string) {
  let now = BASE;
  const clock = (): number => now;
  const common = { prefix, clock, timeoutMs: Number.POSITIVE_INFINITY, [SHARED_STATE]: true } as const;
  const limits = {
    wide: slidingLog({ limit: 20, window: WINDOW_MS }),
    narrow: slidingLog({ limit: 5, window: WINDOW_MS }),
  };
  const redisStore = new RedisStore({ client: db.client('ioredis').client });
  const memoryStore = new MemoryStore();
  const on = (store: RedisStore | MemoryStore) => ({
    set: new RateLimiter({ ...common, limits, store, onStoreError: 'throw' }),
    lone: new RateLimiter({ ...common, policy: slidingLog({ limit: 20, window: WINDOW_MS }), store }),
  });
  return { redis: on(redisStore), memory: on(memoryStore), at: (ms: number) => (now = BASE + ms) };
}

/** Ten single admissions one second apart (entries 1..10 at 0..9 s) through the one-policy limiter. */
async function history(t: ReturnType<typeof twins>, prefix: string): Promise<string> {
  for (let i = 0; i < 10; i++) {
    t.at(i * 1000);
    assert.ok((await t.redis.lone.limit('k')).allowed);
    assert.ok((await t.memory.lone.limit('k')).allowed);
  }
  const keys = await db.admin.keys(`{${prefix}:k}*`);
  assert.equal(keys.length, 1);
  return keys[0] as string;
}

// At 15.5 s, 4 units are live (6..9 s). Both limits admit on the log as it is (4 + 4 <= 20, 4 + 1 <= 5);
// committing, wide spends 4, then narrow (8 + 1 > 5) denies and scans for the 4 units it waits for:
// entries 7 to 10. The first pass's search read entries 1, 2, 4, 8, 6 and 7, never 9.
const COST = { wide: 4, narrow: 1 };

test('without a foreign entry the shared log decides as on memory', async () => {
  await db.admin.flushdb();
  const t = twins('clean');
  await history(t, 'clean');
  t.at(15_500);
  const decided = await t.redis.set.limit({ wide: 'k', narrow: 'k' }, { cost: COST });
  assert.deepEqual(decided, await t.memory.set.limit({ wide: 'k', narrow: 'k' }, { cost: COST }));
  // The case the attack needs: narrow denies only after wide's admission (the caller's keys were not distinct).
  assert.deepEqual([decided.limits.wide.allowed, decided.limits.narrow.allowed], [true, false]);
  assert.deepEqual(await t.redis.lone.peek('k'), await t.memory.lone.peek('k'));
});

test('a foreign entry only the committing pass reads: the request fails, the log is left byte for byte', async () => {
  await db.admin.flushdb();
  const t = twins('shared');
  const key = await history(t, 'shared');
  assert.deepEqual(await db.admin.keys('*'), [key], 'both limits and the one-policy limiter name one key');
  await db.admin.lset(key, 9, 'garbage');
  const dumped = await db.admin.dump(key);
  t.at(15_500);
  const [outcome] = await Promise.allSettled([t.redis.set.limit({ wide: 'k', narrow: 'k' }, { cost: COST })]);
  assert.equal(outcome?.status, 'rejected');
  const reason = (outcome as PromiseRejectedResult).reason;
  assert.ok(reason instanceof StoreRequestError, String(reason));
  assert.match(reason.message, /flowgate did not write/);
  assert.deepEqual(await db.admin.dump(key), dumped, "wide's admission was not written");
});

test('a refund through both limits of the shared log gives back as on memory (each reads what the other left)', async () => {
  await db.admin.flushdb();
  const t = twins('refund');
  await history(t, 'refund');
  // At 25 s everything has left the window: both limits admit 2, one entry holding 4 units.
  t.at(25_000);
  const keys = { wide: 'k', narrow: 'k' };
  const decided = await t.redis.set.limit(keys, { cost: { wide: 2, narrow: 2 } });
  const expected = await t.memory.set.limit(keys, { cost: { wide: 2, narrow: 2 } });
  assert.deepEqual(decided, expected);
  t.at(25_500);
  for (const cost of [1, 2]) {
    await t.redis.set.refund(keys, { cost, decision: decided });
    await t.memory.set.refund(keys, { cost, decision: expected });
    assert.deepEqual(await t.redis.lone.peek('k'), await t.memory.lone.peek('k'), `after refunds of ${cost}`);
  }
});
