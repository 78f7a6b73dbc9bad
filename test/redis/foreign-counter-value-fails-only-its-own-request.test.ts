/**
 * Attack: a counter's value that parses when its key is loaded but is no
 * value flowgate writes: NaN, an infinity, a fraction, a negative count, or a
 * number so large that the expiry computed from it is one Redis refuses. The
 * last used to fail the whole script call when it saved (every request of the
 * batch got an error, and the keys saved before it stayed written); the others
 * were decided on (admitting beyond the limit, replying NaN). Such a key must
 * fail its own requests with the foreign-value error, as a key of another type
 * does, and stay as it was; the other requests decide as on the memory store.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  fixedWindow,
  leakyBucket,
  MemoryStore,
  type Policy,
  RateLimiter,
  StoreRequestError,
  slidingWindow,
  tokenBucket,
} from '../../src/index.js';
import { RedisStore, type StateEncoding } from '../../src/stores/redis/index.js';
import { redisFixture } from '../support/redis-fixture.js';

const db = redisFixture();

// Ahead of the server's clock, as the expiry encoding needs with an explicit clock.
const BASE = 1_900_000_000_000;
const HUGE = '99999999999999999999';

const CASES: { name: string; policy: Policy; foreign: Record<'value' | 'expiry', string[]> }[] = [
  {
    name: 'fixed window',
    policy: fixedWindow({ limit: 5, window: '1h' }),
    foreign: {
      value: [`${HUGE}:0`, '1e300:0', 'nan:1', '527777:nan', '527777:-3', '527777:2.5', '527777:inf', '2.5:1'],
      expiry: ['nan', '-3', '2.5', 'inf', '1e300', '1@9000000000000000000'],
    },
  },
  {
    name: 'sliding window',
    policy: slidingWindow({ limit: 5, window: '1h' }),
    foreign: {
      value: [`${HUGE}:0:0`, `527777:${HUGE}:0`, `527777:0:${HUGE}`],
      expiry: ['nan', '-3', '2.5', 'inf', '1e300', `${HUGE}:0`, `0:${HUGE}`, '1@9000000000000000000'],
    },
  },
  {
    name: 'token bucket',
    policy: tokenBucket({ capacity: 5, refillPerSecond: 1 }),
    foreign: {
      value: [':nan', ':inf', ':1e300', ':-1e300', ':2.5'],
      expiry: ['nan', '-1', '2.5', '1e300', '99999', '0@9000000000000000000'],
    },
  },
  {
    name: 'leaky bucket',
    policy: leakyBucket({ capacity: 5, leakPerSecond: 1 }),
    foreign: {
      value: [':nan', ':inf', ':1e300', ':-1e300', ':2.5'],
      expiry: ['nan', '-1', '2.5', '1e300', '99999', '0@9000000000000000000'],
    },
  },
];

for (const { name, policy, foreign } of CASES) {
  for (const encoding of ['value', 'expiry'] as const satisfies readonly StateEncoding[]) {
    for (const value of foreign[encoding]) {
      test(`${name}, ${encoding} encoding, ${JSON.stringify(value)}: fails only its own requests, written as it was`, async () => {
        await db.admin.flushdb();
        let now = BASE;
        const options = { policy, prefix: 'fc', clock: () => now, timeoutMs: Number.POSITIVE_INFINITY } as const;
        const redis = new RateLimiter({
          ...options,
          store: new RedisStore({ client: db.client('ioredis').client, encoding }),
          onStoreError: 'throw',
        });
        const memory = new RateLimiter({ ...options, store: new MemoryStore() });
        for (const k of ['a', 'bad', 'b']) await redis.limit(k);
        for (const k of ['a', 'b']) await memory.limit(k);
        const [key, ...others] = await db.admin.keys('{fc:bad}*');
        assert.ok(key !== undefined && others.length === 0);
        // KEEPTTL: the expiry encoding reads part of the state from the key's expiry; 'value@ms': a
        // value flowgate writes under an expiry it never sets.
        const [stored, pxat] = value.split('@') as [string, string | undefined];
        if (pxat === undefined) await db.admin.set(key, stored, 'KEEPTTL');
        else await db.admin.set(key, stored, 'PXAT', pxat);
        const [dumped, expiry] = [await db.admin.dump(key), await db.admin.pexpiretime(key)];
        now += 1000;
        // One job, one script call: good requests before, between and after two on the bad key.
        const outcomes = await Promise.allSettled([
          redis.limit('a'),
          redis.limit('bad'),
          redis.limit('b', { cost: 2 }),
          redis.peek('bad'),
          redis.limit('a', { cost: 3 }),
        ]);
        for (const at of [1, 3]) {
          const outcome = outcomes[at] as PromiseSettledResult<unknown>;
          assert.equal(outcome.status, 'rejected', `${value}: decided`);
          const error = (outcome as PromiseRejectedResult).reason;
          assert.ok(error instanceof StoreRequestError, `${value}: ${String(error)}`);
          assert.match(error.message, /flowgate did not write/, value);
        }
        const expected = [
          await memory.limit('a'),
          await memory.limit('b', { cost: 2 }),
          await memory.limit('a', { cost: 3 }),
        ];
        const good = [outcomes[0], outcomes[2], outcomes[4]].map((o) =>
          o?.status === 'fulfilled' ? o.value : o?.reason,
        );
        assert.deepEqual(good, expected, value);
        assert.deepEqual([await db.admin.dump(key), await db.admin.pexpiretime(key)], [dumped, expiry], value);
      });
    }
  }
}
