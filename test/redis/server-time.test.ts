/**
 * The server-TIME path, without the wall clock. On the server's TIME with
 * Redis >= 7, part of a counter's state lives in the key's absolute expiry;
 * that encoding is replayed at fixed instants by every vector (with
 * `encoding: 'expiry'` and instants ahead of the server's clock), and each
 * decision made on the real TIME is checked against MemoryStore at the
 * instant the script reports (`atMs`), which is all the server's clock adds.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type Decision,
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
import { FUTURE_EPOCH_MS, loadVectors, replayCase } from '../support/vectors.js';

const db = redisFixture();

async function serverMs(): Promise<number> {
  const [seconds, micros] = await db.admin.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

const POLICIES: Record<string, () => Policy> = {
  // 7 ticks per ms: the value is a remainder 0..6 under the expiry.
  'token bucket, 7/3 per s': () => tokenBucket({ capacity: 3, refillPerSecond: 7 / 3 }),
  'token bucket, 7000/3 per s': () => tokenBucket({ capacity: 3, refillPerSecond: 7000 / 3 }),
  // 1 tick per ms: the value is always 0.
  'token bucket, 1000 per s': () => tokenBucket({ capacity: 4, refillPerSecond: 1000 }),
  'leaky bucket, 7000/3 per s': () => leakyBucket({ capacity: 3, leakPerSecond: 7000 / 3 }),
  'fixed window, 3 per 2 ms': () => fixedWindow({ limit: 3, window: 2 }),
  'sliding window, 3 per 3 ms': () => slidingWindow({ limit: 3, window: 3 }),
  // Counts too large to pack into one integer: the value is 'previous:current'.
  'sliding window, 1e8 per 3 ms': () => slidingWindow({ limit: 100_000_000, window: 3 }),
  'sliding log, 3 per 2 ms': () => slidingLog({ limit: 3, window: 2 }),
};

for (const kind of CLIENT_KINDS) {
  describe(`RedisStore (${kind}): the state-in-expiry encoding`, () => {
    test('replays every decision vector exactly at fixed instants', async () => {
      const store = new RedisStore({ client: db.client(kind).client, encoding: 'expiry' });
      let replayed = 0;
      for (const { cases } of loadVectors()) {
        for (const c of cases) {
          await db.admin.flushdb();
          const make = (policy: Policy, clock: () => number) =>
            new RateLimiter({ policy, store, clock, onStoreError: 'throw', timeoutMs: Number.POSITIVE_INFINITY });
          await replayCase(c, make, FUTURE_EPOCH_MS);
          replayed++;
        }
      }
      assert.ok(replayed >= 25, `only ${replayed} vector cases`);
    });

    // Both encodings: a lone call on the server's TIME goes to the library's lone function (lua/lone.lua.ts).
    for (const encoding of ['auto', 'value'] as const) {
      test(`decisions on the server's TIME are MemoryStore's at the instant the script reports (${encoding} encoding)`, async () => {
        const client = db.client(kind).client;
        for (const [name, make] of Object.entries(POLICIES)) {
          const policy = make();
          const redis = new RateLimiter({
            policy,
            store: new RedisStore({ client, encoding }),
            prefix: `st-${kind}-${encoding}`,
            onStoreError: 'throw',
            timeoutMs: Number.POSITIVE_INFINITY,
          });
          let now = 0;
          const memory = new RateLimiter({ policy, store: new MemoryStore(), clock: () => now });
          const key = name;
          // Costs cycling through peeks, 1, 2 and the whole limit (capped), enough to deny now and then.
          const costs = [1, 0, 2, 1, 1, 0, policy.limit, 1, 2, 0, 1, 1, 1, 0, 3, 1];
          for (const [i, drawn] of costs.entries()) {
            const cost = Math.max(1, Math.min(drawn, policy.limit));
            const before = await serverMs();
            const actual: Decision = drawn === 0 ? await redis.peek(key) : await redis.limit(key, { cost });
            const after = await serverMs();
            assert.ok(actual.atMs >= before && actual.atMs <= after, `${name} call ${i}: atMs within the call`);
            now = actual.atMs;
            const expected = drawn === 0 ? await memory.peek(key) : await memory.limit(key, { cost });
            assert.deepEqual(actual, expected, `${name} call ${i} (${drawn === 0 ? 'peek' : `cost ${cost}`})`);
          }
        }
      });
    }
  });
}

describe('RedisStore state encoding', () => {
  test('bucket and fixed-window values are shared integers; the expiry holds the rest, exactly', async () => {
    await db.admin.flushdb();
    const client = (db.clients[0] as TestClient).client;
    const store = new RedisStore({ client, encoding: 'expiry' });
    const at = FUTURE_EPOCH_MS + 1234;
    const clock = () => at;
    const bucket = new RateLimiter({
      policy: tokenBucket({ capacity: 5, refillPerSecond: 7 / 3 }),
      store,
      prefix: 'b',
      clock,
    });
    const fixed = new RateLimiter({ policy: fixedWindow({ limit: 5, window: '1h' }), store, prefix: 'f', clock });
    const b = await bucket.limit('k', { cost: 2 });
    await fixed.limit('k', { cost: 2 });
    const bucketKey = '{b:k}:tb:7';
    const fixedKey = '{f:k}:fw:3600000';
    // Two units at 3000/7 ms each, from full at `at`: the bucket is full again after ceil(6000/7) ms.
    assert.equal(await db.admin.pexpiretime(bucketKey), at + Math.ceil(6000 / 7));
    assert.equal(b.resetMs, Math.ceil(6000 / 7));
    assert.equal(await db.admin.get(bucketKey), String(Math.ceil(6000 / 7) * 7 - 6000));
    assert.equal(await db.admin.get(fixedKey), '2');
    assert.equal(await db.admin.pexpiretime(fixedKey), (Math.floor(at / 3_600_000) + 1) * 3_600_000);
    for (const key of [bucketKey, fixedKey]) assert.equal(await db.admin.object('REFCOUNT', key), 2147483647, key);
  });

  test('the value encoding carries the whole state and a relative TTL; both encodings read the other', async () => {
    await db.admin.flushdb();
    const client = (db.clients[0] as TestClient).client;
    const at = FUTURE_EPOCH_MS + 5_000;
    const clock = () => at;
    const byValue = new RedisStore({ client, encoding: 'value', expiryMarginMs: 0 });
    const byExpiry = new RedisStore({ client, encoding: 'expiry' });
    const policy = slidingWindow({ limit: 5, window: '1h' });
    const v = new RateLimiter({ policy, store: byValue, prefix: 's', clock });
    const e = new RateLimiter({ policy, store: byExpiry, prefix: 's', clock });
    await v.limit('k', { cost: 2 });
    const index = Math.floor(at / 3_600_000);
    assert.equal(await db.admin.get('{s:k}:sw:3600000'), `${index}:0:2`);
    // The expiry-encoded limiter reads the value-encoded state, and the other way round.
    assert.equal((await e.limit('k')).remaining, 2);
    assert.equal(await db.admin.get('{s:k}:sw:3600000'), '3');
    assert.equal((await v.limit('k')).remaining, 1);
  });
});
