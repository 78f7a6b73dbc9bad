/**
 * The lone function (lua/lone.lua.ts): one request on one limit on the
 * server's TIME, what a sequential caller and an idle store send, goes to the
 * library's lone function; everything else goes to the general one. It
 * decides (server-time.test.ts checks its decisions against MemoryStore, in
 * both encodings), fails and gives up exactly as the general function does.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Redis } from 'ioredis';
import {
  fixedWindow,
  leakyBucket,
  type Policy,
  RateLimiter,
  slidingLog,
  slidingWindow,
  tokenBucket,
} from '../../src/index.js';
import { LIBRARY, RedisStore, type StateEncoding } from '../../src/stores/redis/index.js';
import { redisFixture } from '../support/redis-fixture.js';

const db = redisFixture();

const POLICIES: Record<string, () => Policy> = {
  'token bucket': () => tokenBucket({ capacity: 3, refillPerSecond: 7 / 3 }),
  'leaky bucket': () => leakyBucket({ capacity: 3, leakPerSecond: 7 / 3 }),
  'fixed window': () => fixedWindow({ limit: 3, window: '1h' }),
  'sliding window': () => slidingWindow({ limit: 3, window: '1h' }),
  'sliding log': () => slidingLog({ limit: 3, window: '1h' }),
};

/** A sendCommand client on its own connection that records each FCALL's function and arguments. */
function recording(): { client: { sendCommand(args: string[]): Promise<unknown> }; calls: string[][]; close(): void } {
  const io = new Redis(db.server.url);
  const calls: string[][] = [];
  return {
    client: {
      sendCommand(args: string[]) {
        if (args[0] === 'FCALL') calls.push(args.slice(1));
        return io.call(args[0] as string, ...args.slice(1));
      },
    },
    calls,
    close: () => io.disconnect(),
  };
}

describe('the lone function', () => {
  test('takes one limit on the server TIME alone in its call; the rest goes to the general function', async () => {
    await db.admin.flushdb();
    // Loaded already: the first call is not followed by its retry.
    await db.admin.call('FUNCTION', 'LOAD', 'REPLACE', LIBRARY.code);
    const r = recording();
    try {
      const store = new RedisStore({ client: r.client });
      const policy = fixedWindow({ limit: 10, window: '1h' });
      const limiter = new RateLimiter({ policy, store, prefix: 'route', timeoutMs: Number.POSITIVE_INFINITY });
      await limiter.limit('k');
      await limiter.limit('k', { cost: 3 });
      await limiter.peek('k');
      await Promise.all([limiter.limit('k'), limiter.limit('j')]);
      const timed = new RateLimiter({ policy, store, prefix: 'route', timeoutMs: 60_000 });
      await timed.limit('k');
      const clocked = new RateLimiter({ policy, store, prefix: 'route', clock: () => 5_000 });
      await clocked.limit('k');
      const set = new RateLimiter({ limits: { a: policy, b: policy }, store, prefix: 'route' });
      await set.limit('k');
      const described = `efw,10,3600000,,;`;
      assert.deepEqual(
        r.calls.map((call) => call.slice(0, 2).concat(call[0] === LIBRARY.lone ? call.slice(3) : [])),
        [
          [LIBRARY.lone, '1', described],
          [LIBRARY.lone, '1', described, '', '3'],
          [LIBRARY.name, '1'],
          [LIBRARY.name, '2'],
          // A deadline on the server's clock: a number of ms.
          [LIBRARY.lone, '1', described, (r.calls[4] as string[])[4] as string],
          [LIBRARY.name, '1'],
          [LIBRARY.name, '2'],
        ],
      );
      assert.match((r.calls[4] as string[])[4] as string, /^\d{13}$/);
    } finally {
      r.close();
    }
  });

  for (const encoding of ['auto', 'value'] as const satisfies readonly StateEncoding[]) {
    for (const [name, make] of Object.entries(POLICIES)) {
      test(`${name}, ${encoding} encoding: a key of a wrong type or a value flowgate did not write fails this call only, as in a batch`, async () => {
        await db.admin.flushdb();
        const store = new RedisStore({ client: db.clients[0]?.client as Redis, encoding });
        const limiter = new RateLimiter({
          policy: make(),
          store,
          prefix: 'bad',
          onStoreError: 'throw',
          timeoutMs: Number.POSITIVE_INFINITY,
        });
        await limiter.limit('k');
        const [key] = await db.admin.keys('{bad:k}*');
        assert.ok(key !== undefined);
        const foreign: [string, () => Promise<unknown>][] = [
          ['a hash', () => db.admin.hset(key, 'field', 'value')],
          name === 'sliding log'
            ? ['a list flowgate did not write', () => db.admin.rpush(key, 'hello', 'world')]
            : ['a string flowgate did not write', () => db.admin.set(key, 'hello', 'PX', 3_600_000)],
        ];
        for (const [what, write] of foreign) {
          await db.admin.del(key);
          await write();
          const dumped = await db.admin.dump(key);
          const lone = await limiter.limit('k').then(
            () => assert.fail(`${what}: admitted`),
            (error: Error) => error.message,
          );
          // Two requests in one call: the general function, where the other key decides unharmed.
          const [general, other] = await Promise.allSettled([limiter.limit('k'), limiter.limit('other')]);
          assert.equal(general.status, 'rejected', what);
          assert.equal(lone, (general as PromiseRejectedResult).reason.message, what);
          assert.match(lone, what === 'a hash' ? /WRONGTYPE/ : /did not write/, what);
          assert.equal(other.status, 'fulfilled', what);
          assert.deepEqual(await db.admin.dump(key), dumped, `${what}: left as it was`);
        }
      });
    }
  }

  test('a call that reaches Redis after its deadline commits nothing and says so', async () => {
    await db.admin.flushdb();
    await db.admin.call('FUNCTION', 'LOAD', 'REPLACE', LIBRARY.code);
    const reply = (await db.admin.call(
      'FCALL',
      LIBRARY.lone,
      '1',
      '{late:k}:fw:3600000',
      'efw,10,3600000,,;',
      '1',
    )) as number[];
    assert.equal(reply.length, 2);
    assert.ok((reply[0] as number) > 1);
    assert.equal(reply[1], 0);
    assert.equal(await db.admin.exists('{late:k}:fw:3600000'), 0);
    const on = (await db.admin.call(
      'FCALL',
      LIBRARY.lone,
      '1',
      '{late:k}:fw:3600000',
      'efw,10,3600000,,;',
      '32503680000000', // a deadline far ahead (year 3000 on the server's clock)
      '4',
    )) as number[];
    // Admitted at its instant with no wait: the server time, remaining (6 of 10) and resetMs, nothing else.
    assert.deepEqual(on.slice(1), [6, 3_600_000 - ((on[0] as number) % 3_600_000)]);
  });
});
