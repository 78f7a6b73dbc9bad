/**
 * Attack: the newest entry of a sliding log carries the oldest entry's time
 * and the sentinel's total (`time:cumulative:oldest:base`), and a decision
 * while nothing has expired reads that element alone. Carried fields that
 * flowgate never writes (out of order, past 2^53, negative, a total above the
 * entries', more units than any limit admits, malformed) must not be read as
 * a log: every limit, peek and refund on that key fails alone with the
 * foreign-value error, writing nothing, on the general call (a batch on an
 * explicit clock) and on the lone function (server time); the other requests
 * of the batch decide exactly as on the memory store.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Decision, MemoryStore, RateLimiter, StoreRequestError, slidingLog } from '../../src/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { redisFixture } from '../support/redis-fixture.js';

const db = redisFixture();

// Ahead of the server's clock: on its TIME, the lone function decides as at the newest entry's instant.
const BASE = 2_200_000_000_000;
const WINDOW_MS = 60_000;
const LIMIT = 20;

/**
 * Forged newest entries, from the real newest (t, c) and the real oldest entry's time (t1); or
 * [element index, text] pairs to write (the older layout: a newest entry without carried fields,
 * whose load reads the sentinel's total).
 */
const FORGED: Record<string, (t: number, c: number, t1: number) => string | [number, string][]> = {
  'oldest after the newest': (t, c) => `${t}:${c}:${t + 1}:0`,
  'base above the total': (t, c, t1) => `${t}:${c}:${t1}:${c + 1}`,
  'negative base': (t, c, t1) => `${t}:${c}:${t1}:-1`,
  'oldest past -2^53': (t, c) => `${t}:${c}:-9007199254740994:0`,
  'more units than any limit': (t, c, t1) => `${t}:${c + 100_001}:${t1}:0`,
  'base past 2^53': (t, c, t1) => `${t}:${c}:${t1}:99999999999999999999`,
  'newest past 2^53': (_t, c, t1) => `99999999999999999999:${c}:${t1}:0`,
  'total past 2^53': (t, _c, t1) => `${t}:99999999999999999999:${t1}:0`,
  'three fields': (t, c, t1) => `${t}:${c}:${t1}`,
  'five fields': (t, c, t1) => `${t}:${c}:${t1}:0:0`,
  'empty oldest': (t, c) => `${t}:${c}::0`,
  'trailing space': (t, c, t1) => `${t}:${c}:${t1}:0 `,
  'plus sign': (t, c, t1) => `${t}:${c}:+${t1}:0`,
  fraction: (t, c, t1) => `${t}:${c}:${t1}.5:0`,
  exponent: (t, c) => `${t}:${c}:1e3:0`,
  'older layout, sentinel total above the newest entry': (t, c) => [
    [0, `0:${c + 1}`],
    [-1, `${t}:${c}`],
  ],
  'older layout, more units than any limit': (t, c) => [[-1, `${t}:${c + 100_001}`]],
};

function assertForeign(outcome: PromiseSettledResult<unknown>, what: string): void {
  assert.equal(
    outcome.status,
    'rejected',
    `${what}: decided ${JSON.stringify((outcome as { value?: unknown }).value)}`,
  );
  const error = (outcome as PromiseRejectedResult).reason;
  assert.ok(error instanceof StoreRequestError, `${what}: ${String(error)}`);
  assert.match(error.message, /flowgate did not write/, what);
}

let run = 0;

describe('forged carried fields on a sliding log newest entry', () => {
  for (const [name, forge] of Object.entries(FORGED)) {
    test(name, async () => {
      const prefix = `forged${run++}`;
      let now = BASE;
      const options = { policy: slidingLog({ limit: LIMIT, window: WINDOW_MS }), prefix } as const;
      const store = new RedisStore({ client: db.client('ioredis').client });
      const common = { onStoreError: 'throw', logger: false, timeoutMs: Number.POSITIVE_INFINITY } as const;
      const redis = new RateLimiter({ ...options, ...common, store, clock: () => now });
      // On the server's TIME: one limit, one request: the lone function.
      const lone = new RateLimiter({ ...options, ...common, store });
      const memory = new RateLimiter({ ...options, store: new MemoryStore(), clock: () => now });
      const admitted: Decision[] = [];
      for (let i = 0; i < 4; i++) {
        now = BASE + i * 1000;
        for (const key of ['a', 'bad']) {
          const d = await redis.limit(key, { cost: 2 });
          assert.ok(d.allowed);
          if (key === 'bad') admitted.push(d);
          else assert.ok((await memory.limit(key, { cost: 2 })).allowed);
        }
      }
      const [bad] = await db.admin.keys(`{${prefix}:bad}*`);
      assert.ok(bad !== undefined);
      const [oldest] = ((await db.admin.lindex(bad, 1)) as string).split(':').map(Number);
      const [t, c] = ((await db.admin.lindex(bad, -1)) as string).split(':').map(Number);
      const forged = forge(t as number, c as number, oldest as number);
      for (const [index, text] of typeof forged === 'string' ? [[-1, forged] as const] : forged) {
        await db.admin.lset(bad, index, text);
      }
      const dumped = await db.admin.dump(bad);
      now = BASE + 4_000;
      // One call: requests on the clean key around those on the forged one.
      const actual = await Promise.allSettled([
        redis.limit('a'),
        redis.limit('bad'),
        redis.peek('bad'),
        redis.limit('a', { cost: 3 }),
        redis.refund('bad', { decision: admitted[3] as Decision }),
        redis.refund('bad', { decision: admitted[1] as Decision }),
        redis.refund('bad', { cost: 1 }),
        redis.limit('bad', { cost: LIMIT }),
        redis.peek('a'),
      ]);
      const expected = [await memory.limit('a'), await memory.limit('a', { cost: 3 }), await memory.peek('a')];
      assert.deepEqual(
        [actual[0], actual[3], actual[8]].map((o) => (o.status === 'fulfilled' ? o.value : o.reason)),
        expected,
      );
      for (const i of [1, 2, 4, 5, 6, 7]) assertForeign(actual[i] as PromiseSettledResult<unknown>, `request ${i}`);
      // Each alone in its call: no earlier request of the call has found the list foreign.
      const alone = [
        () => redis.refund('bad', { decision: admitted[3] as Decision }),
        () => redis.refund('bad', { decision: admitted[1] as Decision }),
        () => redis.refund('bad', { cost: 1 }),
        () => redis.peek('bad'),
        () => redis.limit('bad'),
        () => lone.limit('bad'),
      ];
      for (const [i, call] of alone.entries()) {
        assertForeign((await Promise.allSettled([call()]))[0] as PromiseSettledResult<unknown>, `alone ${i}`);
      }
      assertForeign((await Promise.allSettled([lone.limit('bad')]))[0] as PromiseSettledResult<unknown>, 'lone');
      assertForeign(
        (await Promise.allSettled([lone.limit('bad', { cost: 5 })]))[0] as PromiseSettledResult<unknown>,
        'lone, cost 5',
      );
      assert.deepEqual(await db.admin.dump(bad), dumped, 'the forged list was written');
    });
  }
});
