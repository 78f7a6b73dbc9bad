import assert from 'node:assert/strict';
import { describe, mock, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import {
  type FlowgateConfigError,
  fixedWindow,
  leakyBucket,
  type Policy,
  RateLimiter,
  slidingLog,
  slidingWindow,
  tokenBucket,
} from '../../src/index.js';
import { RedisStore, SCRIPTS } from '../../src/stores/redis/index.js';
import { CLIENT_KINDS } from '../support/redis-clients.js';
import { redisFixture } from '../support/redis-fixture.js';
import { loadVectors, replayCase } from '../support/vectors.js';

const db = redisFixture();

const POLICIES: Record<string, () => Policy> = {
  fixedWindow: () => fixedWindow({ limit: 3, window: '1h' }),
  slidingLog: () => slidingLog({ limit: 3, window: '1h' }),
  slidingWindow: () => slidingWindow({ limit: 3, window: '1h' }),
  tokenBucket: () => tokenBucket({ capacity: 3, refillPerSecond: 1 / 3600 }),
  leakyBucket: () => leakyBucket({ capacity: 3, leakPerSecond: 1 / 3600 }),
};

for (const kind of CLIENT_KINDS) {
  describe(`RedisStore with ${kind}`, () => {
    test('replays every decision vector exactly', async () => {
      const store = new RedisStore({ client: db.client(kind).client });
      let replayed = 0;
      for (const { cases } of loadVectors()) {
        for (const c of cases) {
          await db.admin.flushdb();
          await replayCase(c, (policy, clock) => new RateLimiter({ policy, store, clock, onStoreError: 'throw' }));
          replayed++;
        }
      }
      assert.ok(replayed >= 10, `only ${replayed} vector cases found`);
    });

    test('keys with {, }, :, %, unicode and 500 characters are distinct and work', async () => {
      await db.admin.flushdb();
      const store = new RedisStore({ client: db.client(kind).client });
      const limiter = new RateLimiter({
        policy: fixedWindow({ limit: 2, window: '1h' }),
        store,
        onStoreError: 'throw',
      });
      const keys = ['a', 'a}', 'a%7D', '{a}', '}{', 'a:b', 'a%', 'ключ 🔑', 'x'.repeat(500), `{${'é'.repeat(499)}`];
      for (const key of keys) {
        assert.equal((await limiter.limit(key)).allowed, true, key);
        assert.equal((await limiter.limit(key)).remaining, 0, key);
        assert.equal((await limiter.limit(key)).allowed, false, key);
      }
      assert.equal(await db.admin.dbsize(), keys.length);
      // Prefixes with ':' or '}' cannot collide with keys: {p:q} is prefix p, key q.
      const other = new RateLimiter({ policy: fixedWindow({ limit: 2, window: '1h' }), store, prefix: 'flowgate:a' });
      assert.equal((await other.limit('b')).remaining, 1);
      const colon = new RateLimiter({ policy: fixedWindow({ limit: 2, window: '1h' }), store });
      assert.equal((await colon.limit('a:b')).allowed, false);
    });

    test('survives SCRIPT FLUSH (NOSCRIPT falls back to EVAL once)', async () => {
      await db.admin.flushdb();
      const store = new RedisStore({ client: db.client(kind).client });
      for (const [name, make] of Object.entries(POLICIES)) {
        const limiter = new RateLimiter({ policy: make(), store, prefix: name, onStoreError: 'throw' });
        assert.equal((await limiter.limit('k')).remaining, 2, name);
        await db.admin.script('FLUSH');
        assert.equal((await limiter.limit('k')).remaining, 1, name);
        await db.admin.script('FLUSH');
        assert.equal((await limiter.peek('k')).remaining, 0, name);
        assert.equal((await limiter.limit('k', { cost: 2 })).allowed, false, name);
      }
    });

    test('reset forgets the key', async () => {
      const store = new RedisStore({ client: db.client(kind).client });
      for (const [name, make] of Object.entries(POLICIES)) {
        const limiter = new RateLimiter({ policy: make(), store, prefix: `reset-${name}`, onStoreError: 'throw' });
        await limiter.limit('k', { cost: 3 });
        assert.equal((await limiter.limit('k')).allowed, false, name);
        await limiter.reset('k');
        assert.equal((await limiter.limit('k')).remaining, 2, name);
      }
    });

    test('with the server TIME, the TTL is exactly the time until full capacity', async () => {
      await db.admin.flushdb();
      const store = new RedisStore({ client: db.client(kind).client });
      for (const [name, make] of Object.entries(POLICIES)) {
        const limiter = new RateLimiter({ policy: make(), store, prefix: name, onStoreError: 'throw' });
        const d = await limiter.limit('k');
        const ttl = await db.admin.pttl(`{${name}:k}`);
        assert.ok(ttl > 0 && ttl <= d.resetMs && ttl >= d.resetMs - 1000, `${name}: pttl ${ttl}, resetMs ${d.resetMs}`);
      }
    });

    test('keys disappear once their state is back at full capacity, with an explicit clock too', async () => {
      await db.admin.flushdb();
      const store = new RedisStore({ client: db.client(kind).client, expiryMarginMs: 0 });
      const now = Date.now();
      const small: Policy[] = [
        fixedWindow({ limit: 2, window: 20 }),
        slidingLog({ limit: 2, window: 20 }),
        slidingWindow({ limit: 2, window: 10 }),
        tokenBucket({ capacity: 2, refillPerSecond: 200 }),
        leakyBucket({ capacity: 2, leakPerSecond: 200 }),
      ];
      for (const [i, policy] of small.entries()) {
        const limiter = new RateLimiter({ policy, store, prefix: `ttl${i}`, clock: () => now });
        await limiter.limit('k', { cost: 2 });
        await limiter.limit('other');
      }
      assert.equal(await db.admin.dbsize(), 10);
      // Every TTL above is at most 20 ms; 40 ms later each key is gone on access.
      await delay(40);
      for (let i = 0; i < small.length; i++) assert.equal(await db.admin.exists(`{ttl${i}:k}`), 0);
      // Keys nobody reads are reclaimed by the server's active expiry cycle (10 times a second).
      let size = await db.admin.dbsize();
      for (let tries = 0; size > 0 && tries < 50; tries++) {
        await delay(20);
        size = await db.admin.dbsize();
      }
      assert.equal(size, 0);
    });

    test('a caller whose Date.now is 30 s off decides like the others (server TIME)', async () => {
      await db.admin.flushdb();
      const store = new RedisStore({ client: db.client(kind).client });
      // One token per 20 s: 30 s of skew would refill one and a half.
      const policy = tokenBucket({ capacity: 5, refillPerSecond: 1 / 20 });
      const limiter = new RateLimiter({ policy, store, onStoreError: 'throw' });
      assert.equal((await limiter.limit('k', { cost: 5 })).allowed, true);
      const realNow = Date.now;
      for (const skewMs of [30_000, -30_000]) {
        const skewed = mock.method(Date, 'now', () => realNow() + skewMs);
        try {
          const other = new RateLimiter({ policy, store, onStoreError: 'throw' });
          const d = await other.limit('k');
          assert.equal(d.allowed, false, `skew ${skewMs}`);
          assert.ok(d.retryAfterMs > 19_000 && d.retryAfterMs <= 20_000, `skew ${skewMs}: ${d.retryAfterMs}`);
        } finally {
          skewed.mock.restore();
        }
      }
    });
  });
}

describe('RedisStore scripts and options', () => {
  test('each SHA1 is the one Redis computes for the script text', async () => {
    for (const [name, script] of Object.entries(SCRIPTS)) {
      assert.equal(await db.admin.script('LOAD', script.text), script.sha, name);
    }
  });

  test('EVAL is used only after NOSCRIPT; other errors propagate', async () => {
    let evals = 0;
    const failing = {
      evalsha: async () => {
        throw new Error('ERR max number of clients reached');
      },
      eval: async () => {
        evals++;
        return [1, 0, 1, 0, 0];
      },
      del: async () => 1,
    };
    const limiter = new RateLimiter({
      policy: fixedWindow({ limit: 1, window: '1s' }),
      store: new RedisStore({ client: failing }),
      onStoreError: 'throw',
    });
    await assert.rejects(limiter.limit('k'), /max number of clients/);
    assert.equal(evals, 0);
    const noscript = { ...failing, evalsha: async () => Promise.reject(new Error('NOSCRIPT No matching script.')) };
    const fallback = new RateLimiter({
      policy: fixedWindow({ limit: 1, window: '1s' }),
      store: new RedisStore({ client: noscript }),
      onStoreError: 'throw',
    });
    assert.equal((await fallback.limit('k')).allowed, true);
    assert.equal(evals, 1);
  });

  test('a sendCommand client works too', async () => {
    await db.admin.flushdb();
    const raw = { sendCommand: (args: string[]) => db.admin.call(args[0] as string, ...args.slice(1)) };
    const limiter = new RateLimiter({
      policy: slidingWindow({ limit: 2, window: '1h' }),
      store: new RedisStore({ client: raw }),
      onStoreError: 'throw',
    });
    await db.admin.script('FLUSH');
    assert.equal((await limiter.limit('k')).remaining, 1);
    assert.equal((await limiter.limit('k')).remaining, 0);
    assert.equal((await limiter.limit('k')).allowed, false);
    await limiter.reset('k');
    assert.equal(await db.admin.dbsize(), 0);
  });

  test('bad options name the option and what is valid', () => {
    assert.throws(
      () => new RedisStore({ client: {} as never }),
      (e: FlowgateConfigError) => e.code === 'FG_REDIS_CLIENT_INVALID' && /RedisStore\.client/.test(e.message),
    );
    assert.throws(
      () => new RedisStore({ client: db.admin, expiryMarginMs: -1 }),
      (e: FlowgateConfigError) => e.code === 'FG_EXPIRY_MARGIN_INVALID' && /expiryMarginMs/.test(e.message),
    );
    assert.throws(
      () => new RedisStore({ client: db.admin, ttl: 5 } as never),
      (e: FlowgateConfigError) => e.code === 'FG_UNKNOWN_OPTION',
    );
  });
});
