/**
 * The server-TIME path (no explicit clock), which the vectors and the
 * differential traces (explicit clocks) never take. There, on Redis >= 7, part
 * of the state lives in the key's absolute expiry. Each decision is checked
 * exactly against MemoryStore at the server's own millisecond: the test reads
 * TIME just before and just after the call, and only a call that started and
 * ended within one millisecond is compared (the script's TIME lies between);
 * a trace whose call straddled two is dropped and started again on a new key.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  fixedWindow,
  leakyBucket,
  MemoryStore,
  type Policy,
  RateLimiter,
  slidingLog,
  slidingWindow,
  tokenBucket,
} from '../../src/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { CLIENT_KINDS, type TestClient } from '../support/redis-clients.js';
import { redisFixture } from '../support/redis-fixture.js';

const db = redisFixture();

async function serverMs(): Promise<number> {
  const [seconds, micros] = await db.admin.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

const POLICIES: Record<string, () => Policy> = {
  // 7 ticks per ms: the value is a remainder 0..6 under the expiry.
  'token bucket, 7/3 per s': () => tokenBucket({ capacity: 3, refillPerSecond: 7 / 3 }),
  'token bucket, 7000/3 per s': () => tokenBucket({ capacity: 3, refillPerSecond: 7000 / 3 }),
  // 1 tick per ms: the expiry alone is the state.
  'token bucket, 1000 per s': () => tokenBucket({ capacity: 4, refillPerSecond: 1000 }),
  'leaky bucket, 7000/3 per s': () => leakyBucket({ capacity: 3, leakPerSecond: 7000 / 3 }),
  'fixed window, 3 per 2 ms': () => fixedWindow({ limit: 3, window: 2 }),
  'sliding window, 3 per 3 ms': () => slidingWindow({ limit: 3, window: 3 }),
  // Counts too large to pack into one integer: the value is 'previous:current'.
  'sliding window, 1e8 per 3 ms': () => slidingWindow({ limit: 100_000_000, window: 3 }),
  'sliding log, 3 per 2 ms': () => slidingLog({ limit: 3, window: 2 }),
};

for (const kind of CLIENT_KINDS) {
  describe(`RedisStore (${kind}) on the server's TIME decides exactly like MemoryStore at that millisecond`, () => {
    for (const [name, make] of Object.entries(POLICIES)) {
      test(name, async () => {
        const client = db.client(kind).client;
        const policy = make();
        const redis = new RateLimiter({
          policy,
          store: new RedisStore({ client }),
          prefix: 'st',
          onStoreError: 'throw',
        });
        let now = 0;
        const memory = new RateLimiter({ policy, store: new MemoryStore(), prefix: 'st', clock: () => now });
        const costs = fc.sample(fc.integer({ min: -1, max: policy.limit }), { numRuns: 300, seed: 7 });
        let key = `${kind}-${name}-0`;
        let checked = 0;
        let dropped = 0;
        for (const [i, drawn] of costs.entries()) {
          // -1 and 0 are peeks; limits with a cost near the limit are drawn as they come.
          const cost = Math.max(1, Math.min(drawn, policy.limit));
          const before = await serverMs();
          const actual = drawn <= 0 ? await redis.peek(key) : await redis.limit(key, { cost });
          const afterMs = await serverMs();
          if (before !== afterMs) {
            dropped++;
            key = `${kind}-${name}-${i + 1}`;
            continue;
          }
          now = before;
          const expected = drawn <= 0 ? await memory.peek(key) : await memory.limit(key, { cost });
          assert.deepEqual(actual, expected, `call ${i} (${drawn <= 0 ? 'peek' : `cost ${cost}`}) at ${now} on ${key}`);
          checked++;
        }
        assert.ok(checked >= 100, `only ${checked} calls checked, ${dropped} dropped`);
      });
    }
  });
}

describe('RedisStore state encoding on the server TIME', () => {
  test('bucket and fixed-window values are shared integers; the expiry holds the rest', async () => {
    await db.admin.flushdb();
    const client = (db.clients[0] as TestClient).client;
    const store = new RedisStore({ client });
    const bucket = new RateLimiter({
      policy: tokenBucket({ capacity: 5, refillPerSecond: 7 / 3 }),
      store,
      prefix: 'b',
    });
    const fixed = new RateLimiter({ policy: fixedWindow({ limit: 5, window: '1h' }), store, prefix: 'f' });
    await bucket.limit('k', { cost: 2 });
    await fixed.limit('k', { cost: 2 });
    const value = Number(await db.admin.get('{b:k}'));
    assert.ok(Number.isInteger(value) && value >= 0 && value < 7, `bucket value ${value}`);
    assert.equal(await db.admin.get('{f:k}'), '2');
    for (const key of ['{b:k}', '{f:k}']) assert.equal(await db.admin.object('REFCOUNT', key), 2147483647, key);
    const windowEnd = Math.ceil((await serverMs()) / 3_600_000) * 3_600_000;
    assert.equal(await db.admin.pexpiretime('{f:k}'), windowEnd);
  });

  test('keys written with the whole state in the value (earlier versions) are still read exactly', async () => {
    await db.admin.flushdb();
    const store = new RedisStore({ client: (db.clients[0] as TestClient).client });
    const TICK_EPOCH_MS = 1_767_225_600_000;
    // 7 ticks per ms, one unit every 3000 ticks: a tat 2 units ahead of now.
    const bucket = new RateLimiter({
      policy: tokenBucket({ capacity: 5, refillPerSecond: 7 / 3 }),
      store,
      prefix: 'ob',
    });
    const tat = ((await serverMs()) - TICK_EPOCH_MS) * 7 + 6000;
    await db.admin.set('{ob:k}', String(tat), 'PX', 1000);
    // A cost-1 request fits, leaving 5 - 2 - 1.
    assert.equal((await bucket.peek('k')).remaining, 2);
    const fixed = new RateLimiter({ policy: fixedWindow({ limit: 5, window: '1h' }), store, prefix: 'of' });
    const index = Math.floor((await serverMs()) / 3_600_000);
    await db.admin.set('{of:k}', `${index}:4`, 'PX', 3_600_000);
    assert.equal((await fixed.limit('k')).remaining, 0);
    const sliding = new RateLimiter({ policy: slidingWindow({ limit: 5, window: '1h' }), store, prefix: 'os' });
    await db.admin.set('{os:k}', `${index}:0:3`, 'PX', 7_200_000);
    assert.equal((await sliding.limit('k')).remaining, 1);
  });
});
