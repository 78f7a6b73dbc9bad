// Issue: a throwing onLimited killed the process. With the Redis store (and
// with the memory store on node http), a bug such as `(req) => req.user.id`
// in onLimited became an unhandled rejection (or an uncaught exception) on
// the first 429, and the process exited. Whatever a user hook (key, cost,
// skip, onLimited) throws or rejects, synchronously or not, must reach the
// framework's error path (a 500), on every adapter, with a store that answers
// synchronously (memory), one that answers with promises, and Redis.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import {
  type BoundStore,
  fixedWindow,
  MemoryStore,
  RateLimiter,
  type Store,
  type StoreBinding,
} from '../../src/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { type RedisServer, startRedis } from '../support/redis-server.js';
import { harnesses, type Running } from './harnesses.js';

/** The memory store's answers, as promises: an asynchronous store without Redis. */
class PromiseStore implements Store {
  private readonly memory = new MemoryStore();
  bind(binding: StoreBinding): BoundStore {
    const bound = this.memory.bind(binding);
    return {
      limit: (keys, cost, deadline) => Promise.resolve(bound.limit(keys, cost, deadline)),
      peek: (keys, deadline) => Promise.resolve(bound.peek(keys, deadline)),
      refund: (keys, refunds, deadline) => Promise.resolve(bound.refund(keys, refunds, deadline)),
      reset: (keys, deadline) => Promise.resolve(bound.reset(keys, deadline)),
    };
  }
}

/** Status of GET / with `headers`; 0 if no answer came (a request left hanging by a crashed handler). */
function status(server: Running, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: server.host, port: server.port, path: '/', headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    // Only a broken middleware ever waits for this: a passing run never does.
    req.setTimeout(5_000, () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('user hooks that throw or reject reach the framework error path', () => {
  let redis: RedisServer;
  let client: Redis;
  const escaped: unknown[] = [];
  const record = (error: unknown) => escaped.push(error);
  before(async () => {
    process.on('unhandledRejection', record);
    process.on('uncaughtException', record);
    redis = await startRedis();
    client = new Redis(redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    await new Promise((resolve) => client.once('ready', resolve));
  });
  after(async () => {
    process.off('unhandledRejection', record);
    process.off('uncaughtException', record);
    client?.disconnect();
    await redis?.stop();
  });

  let prefix = 0;
  const stores: Record<string, () => Store> = {
    memory: () => new MemoryStore(),
    'a promise store': () => new PromiseStore(),
    redis: () => new RedisStore({ client }),
  };

  for (const harness of harnesses) {
    for (const [storeName, store] of Object.entries(stores)) {
      test(`${harness.name}, ${storeName}: every hook, thrown or rejected, is a 500 and the process lives`, async () => {
        const limiter = new RateLimiter({
          policy: fixedWindow({ limit: 1, window: '1m' }),
          store: store(),
          prefix: `hooks${prefix++}`,
          clock: () => 1_000_000,
        });
        await limiter.limit('spent');
        const escapedBefore = escaped.length;
        const server = await harness.start({ options: { limiter }, failHeader: 'x-fail' });
        try {
          const cases: [string, Record<string, string>][] = [];
          for (const hook of ['key', 'cost', 'skip']) {
            for (const mode of ['throw', 'reject']) cases.push([`${hook}-${mode}`, { 'x-fail': `${hook}-${mode}` }]);
          }
          for (const mode of ['throw', 'reject']) {
            cases.push([`onLimited-${mode}`, { 'x-user': 'spent', 'x-fail': `onLimited-${mode}` }]);
          }
          for (const [name, headers] of cases) {
            const errorsBefore = server.errors.length;
            assert.equal(await status(server, headers), 500, name);
            const [hook, mode] = name.split('-');
            const reached = server.errors.slice(errorsBefore) as Error[];
            assert.deepEqual(
              reached.map((e) => e.message),
              [`${hook} ${mode === 'throw' ? 'threw' : 'rejected'}`],
              `${name}: the hook's own error reached the framework`,
            );
          }
          assert.equal(await status(server, { 'x-user': 'spent' }), 429);
          assert.equal(await status(server, { 'x-user': 'fresh' }), 200);
          assert.equal(server.handled, 1);
          await flush();
          assert.deepEqual(escaped.slice(escapedBefore), [], 'nothing escaped as an unhandled rejection or exception');
        } finally {
          await server.close();
        }
      });
    }
  }
});

describe('a key function that returns something other than a non-empty string', () => {
  for (const harness of harnesses) {
    test(`${harness.name}: is a 500 that names key(req) and FG_HTTP_KEY_INVALID`, async () => {
      const limiter = new RateLimiter({ policy: fixedWindow({ limit: 5, window: '1m' }) });
      const server = await harness.start({ options: { limiter }, failHeader: 'x-fail' });
      try {
        for (const value of ['42', '""', 'null', '["a"]', '{"then":1}']) {
          assert.equal(await status(server, { 'x-fail': `key=${value}` }), 500, value);
          const error = server.errors.at(-1) as { code?: string; message?: string };
          assert.equal(error.code, 'FG_HTTP_KEY_INVALID', value);
          assert.match(error.message ?? '', /key\(req\) returned/);
        }
        assert.equal(await status(server, { 'x-user': 'a' }), 200);
      } finally {
        await server.close();
      }
    });
  }
});

test('a pending key promise is settled when the cost hook then throws', async () => {
  const escaped: unknown[] = [];
  const record = (error: unknown) => escaped.push(error);
  process.on('unhandledRejection', record);
  try {
    const limiter = new RateLimiter({ policy: fixedWindow({ limit: 5, window: '1m' }) });
    const [harness] = harnesses;
    const server = await (harness as (typeof harnesses)[0]).start({
      options: {
        limiter,
        key: () => Promise.reject(new Error('key rejected')),
        cost: () => {
          throw new Error('cost threw');
        },
      },
    });
    try {
      assert.equal(await status(server, {}), 500);
      assert.deepEqual(
        server.errors.map((e) => (e as Error).message),
        ['cost threw'],
      );
      await flush();
      await flush();
      assert.deepEqual(escaped, []);
    } finally {
      await server.close();
    }
  } finally {
    process.off('unhandledRejection', record);
  }
});
