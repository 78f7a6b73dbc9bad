/**
 * ioredis options users set, on the calls a batch makes: the general call
 * with its packed reply (lua/prelude.lua.ts), a hot key's keys sent once,
 * the arguments handed to ioredis as they are unless a `keyPrefix` applies
 * (resend-guard.ts), by Functions and by scripts. Every decision must be the
 * memory store's, and every key must carry the client's `keyPrefix`. (store.test.ts
 * checks the prefix on lone calls, which take the lone function.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis, type RedisOptions } from 'ioredis';
import { fixedWindow, MemoryStore, RateLimiter, slidingLog, tokenBucket } from '../../src/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { ownRedis } from '../support/redis-fixture.js';
import { decisionFields } from '../support/same-as-memory.js';

const own = ownRedis();

const OPTIONS: Record<string, RedisOptions> = {
  keyPrefix: { keyPrefix: 'app:' },
  stringNumbers: { stringNumbers: true },
  enableAutoPipelining: { enableAutoPipelining: true },
  'RESP3, all of them': { protocol: 3, keyPrefix: 'x{y}:', stringNumbers: true, enableAutoPipelining: true },
};

const NOW = 1_765_000_000_000;

for (const [name, options] of Object.entries(OPTIONS)) {
  for (const way of ['functions', 'scripts'] as const) {
    test(`${name} (${way}): batched decisions are the memory store's, on prefixed keys`, async () => {
      await own.admin.call('ACL', 'SETUSER', 'default', way === 'functions' ? '+fcall' : '-fcall');
      await own.admin.flushall();
      const client = new Redis(own.server.url, options);
      try {
        const common = { clock: () => NOW, onStoreError: 'throw', timeoutMs: Number.POSITIVE_INFINITY } as const;
        const limits = {
          user: fixedWindow({ limit: 5, window: '1m' }),
          org: tokenBucket({ capacity: 4, refillPerSecond: 1 }),
          log: slidingLog({ limit: 6, window: '1m' }),
        };
        const redis = new RateLimiter({ ...common, limits, store: new RedisStore({ client }) });
        const memory = new RateLimiter({ ...common, limits, store: new MemoryStore() });
        const calls = (limiter: typeof redis) => [
          // A hot key: its keys go once.
          ...[1, 1, 2, 1, 1].map((cost) => limiter.limit('hot', { cost })),
          // Then a mix: another key, a peek, per-limit keys.
          limiter.limit('cold'),
          limiter.peek('hot'),
          limiter.limit({ user: 'hot', org: 'cold', log: 'other' }, { cost: 2 }),
        ];
        const fromRedis = await Promise.all(calls(redis));
        const fromMemory = await Promise.all(calls(memory));
        assert.deepEqual(fromRedis.map(decisionFields), fromMemory.map(decisionFields));
        const prefix = options.keyPrefix ?? '';
        // (The set's request is denied by 'user' on 'hot': it writes nothing, 'other' included.)
        const names = ['{flowgate:cold}', '{flowgate:hot}'].flatMap((tag) =>
          [':fw:60000:user', ':sl:60000:log', ':tb:1:org'].map((suffix) => `${prefix}${tag}${suffix}`),
        );
        assert.deepEqual((await own.admin.keys('*')).sort(), names.sort());
      } finally {
        client.disconnect();
        await own.admin.call('ACL', 'SETUSER', 'default', '+fcall');
      }
    });
  }
}
