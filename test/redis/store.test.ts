import assert from 'node:assert/strict';
import { describe, mock, test } from 'node:test';
import { Redis } from 'ioredis';
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
import { RedisStore, SCRIPT } from '../../src/stores/redis/index.js';
import { CLIENT_KINDS } from '../support/redis-clients.js';
import { redisFixture } from '../support/redis-fixture.js';
import { loadVectors, replayCase } from '../support/vectors.js';

const db = redisFixture();

async function serverMs(): Promise<number> {
  const [seconds, micros] = await db.admin.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

/** The Redis key of a one-policy limiter's key (see src/stores/redis/keys.ts). */
function keyOf(prefix: string, policy: Policy, key: string): string {
  const tag = {
    'fixed-window': 'fw',
    'sliding-window': 'sw',
    'sliding-log': 'sl',
    'token-bucket': 'tb',
    'leaky-bucket': 'lb',
  }[policy.algorithm];
  const unit = tag === 'tb' || tag === 'lb' ? policy.params[1] : policy.windowMs;
  return `{${prefix}:${key}}:${tag}:${unit}`;
}

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
          await replayCase(
            c,
            (policy, clock) =>
              new RateLimiter({ policy, store, clock, onStoreError: 'throw', timeoutMs: Number.POSITIVE_INFINITY }),
          );
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
        timeoutMs: Number.POSITIVE_INFINITY,
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
        const limiter = new RateLimiter({
          policy: make(),
          store,
          prefix: name,
          onStoreError: 'throw',
          timeoutMs: Number.POSITIVE_INFINITY,
        });
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
        const limiter = new RateLimiter({
          policy: make(),
          store,
          prefix: `reset-${name}`,
          onStoreError: 'throw',
          timeoutMs: Number.POSITIVE_INFINITY,
        });
        await limiter.limit('k', { cost: 3 });
        assert.equal((await limiter.limit('k')).allowed, false, name);
        await limiter.reset('k');
        assert.equal((await limiter.limit('k')).remaining, 2, name);
      }
    });

    test("on the server's TIME, every key expires exactly when its state is back at full capacity", async () => {
      await db.admin.flushdb();
      const store = new RedisStore({ client: db.client(kind).client });
      for (const [name, make] of Object.entries(POLICIES)) {
        const policy = make();
        const limiter = new RateLimiter({
          policy,
          store,
          prefix: name,
          onStoreError: 'throw',
          timeoutMs: Number.POSITIVE_INFINITY,
        });
        const before = await serverMs();
        const d = await limiter.limit('k');
        const after = await serverMs();
        const expireAt = await db.admin.pexpiretime(keyOf(name, policy, 'k'));
        if (policy.algorithm === 'sliding-log') {
          // A relative TTL set during the call: the instant lies within it.
          assert.ok(expireAt >= before + d.resetMs && expireAt <= after + d.resetMs, `${name}: ${expireAt}`);
        } else {
          // Counters carry their state's end in an absolute expiry: exact.
          assert.equal(expireAt, d.atMs + d.resetMs, name);
        }
      }
    });

    test('with an explicit clock, keys outlive their state by exactly expiryMarginMs', async () => {
      await db.admin.flushdb();
      const store = new RedisStore({ client: db.client(kind).client, expiryMarginMs: 250 });
      const now = 1_900_000_000_123;
      for (const [name, make] of Object.entries(POLICIES)) {
        const policy = make();
        const limiter = new RateLimiter({
          policy,
          store,
          prefix: `m-${name}`,
          clock: () => now,
          onStoreError: 'throw',
          timeoutMs: Number.POSITIVE_INFINITY,
        });
        const before = await serverMs();
        const d = await limiter.limit('k');
        const after = await serverMs();
        // A relative TTL on the server's clock, set during the call.
        const ttl = d.resetMs + 250;
        const expireAt = await db.admin.pexpiretime(keyOf(`m-${name}`, policy, 'k'));
        assert.ok(expireAt >= before + ttl && expireAt <= after + ttl, `${name}: expires at ${expireAt}`);
      }
    });

    test('a caller whose Date.now is 30 s off decides like the others (server TIME)', async () => {
      await db.admin.flushdb();
      const store = new RedisStore({ client: db.client(kind).client });
      // One token per 20 s: 30 s of skew would refill one and a half.
      const policy = tokenBucket({ capacity: 5, refillPerSecond: 1 / 20 });
      const limiter = new RateLimiter({ policy, store, onStoreError: 'throw', timeoutMs: Number.POSITIVE_INFINITY });
      const first = await limiter.limit('k', { cost: 5 });
      assert.equal(first.allowed, true);
      const realNow = Date.now;
      for (const skewMs of [30_000, -30_000]) {
        const skewed = mock.method(Date, 'now', () => realNow() + skewMs);
        try {
          const other = new RateLimiter({ policy, store, onStoreError: 'throw', timeoutMs: Number.POSITIVE_INFINITY });
          const d = await other.limit('k');
          assert.equal(d.allowed, false, `skew ${skewMs}`);
          // Empty at first.atMs, one token back 20 s later, on the server's clock.
          assert.equal(d.retryAfterMs, 20_000 - (d.atMs - first.atMs), `skew ${skewMs}`);
        } finally {
          skewed.mock.restore();
        }
      }
    });
  });
}

describe('RedisStore scripts and options', () => {
  test('the SHA1 is the one Redis computes for the script text', async () => {
    assert.equal(await db.admin.script('LOAD', SCRIPT.text), SCRIPT.sha);
  });

  test('EVAL is used only after NOSCRIPT; other errors propagate', async () => {
    let evals = 0;
    const failing = {
      evalsha: async () => {
        throw new Error('ERR max number of clients reached');
      },
      eval: async () => {
        evals++;
        // The server's time (none read), done, then one decided request: admitted, 0 left, reset in 1 ms, at 5, spent 1.
        return [0, 1, 1, 1, 0, 1, 0, 0, 5, 1];
      },
    };
    const limiter = new RateLimiter({
      policy: fixedWindow({ limit: 1, window: '1s' }),
      store: new RedisStore({ client: failing }),
      onStoreError: 'throw',
      timeoutMs: Number.POSITIVE_INFINITY,
    });
    await assert.rejects(limiter.limit('k'), /max number of clients/);
    assert.equal(evals, 0);
    const noscript = { ...failing, evalsha: async () => Promise.reject(new Error('NOSCRIPT No matching script.')) };
    const fallback = new RateLimiter({
      policy: fixedWindow({ limit: 1, window: '1s' }),
      store: new RedisStore({ client: noscript }),
      onStoreError: 'throw',
      timeoutMs: Number.POSITIVE_INFINITY,
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
      timeoutMs: Number.POSITIVE_INFINITY,
    });
    await db.admin.script('FLUSH');
    assert.equal((await limiter.limit('k')).remaining, 1);
    assert.equal((await limiter.limit('k')).remaining, 0);
    assert.equal((await limiter.limit('k')).allowed, false);
    await limiter.reset('k');
    assert.equal(await db.admin.dbsize(), 0);
  });

  test("ioredis's keyPrefix applies to flowgate's keys, as to any command", async () => {
    await db.admin.flushdb();
    const client = new Redis(db.server.url, { keyPrefix: 'app:' });
    try {
      const limiter = new RateLimiter({
        policy: fixedWindow({ limit: 2, window: '1h' }),
        store: new RedisStore({ client }),
        prefix: 'kp',
        onStoreError: 'throw',
        timeoutMs: Number.POSITIVE_INFINITY,
      });
      assert.equal((await limiter.limit('k')).remaining, 1);
      assert.deepEqual(await db.admin.keys('*'), ['app:{kp:k}:fw:3600000']);
      assert.equal((await limiter.limit('k')).remaining, 0);
      assert.equal((await limiter.limit('k')).allowed, false);
    } finally {
      client.disconnect();
    }
  });

  test('bad options name the option and what is valid', () => {
    assert.throws(
      () => new (RedisStore as unknown as new () => RedisStore)(),
      (e: FlowgateConfigError) =>
        e.code === 'FG_OPTIONS_NOT_OBJECT' && /RedisStore: received undefined/.test(e.message),
    );
    assert.throws(
      () => new RedisStore(db.admin as never),
      (e: FlowgateConfigError) =>
        e.code === 'FG_REDIS_CLIENT_INVALID' && /new RedisStore\(\{ client \}\)/.test(e.message),
    );
    assert.throws(
      () => new RedisStore({ client: db.admin, maxInFlight: 0, encoding: 'json' } as never),
      (e: FlowgateConfigError) => e.issues.map((i) => i.code).join() === 'FG_MAX_IN_FLIGHT_INVALID,FG_ENCODING_INVALID',
    );
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
