/**
 * Attack: a sliding log's list is read lazily. Its sentinel, oldest and newest
 * entries are checked when the key is loaded, but the galloping search for the
 * window's start, a denial's scan and a refund's walk read entries in the
 * middle later. An entry there that flowgate did not write (`LSET key 4 x`, a
 * list from another program whose head and tail parse) used to fail the whole
 * script call: every other request of the batch got an error, and what the
 * call had written before stayed written. Such a request must fail alone, with
 * the same foreign-value error as a key of another type, writing nothing; the
 * others decide exactly as the memory store decides them without it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type Decision,
  fixedWindow,
  type LimiterKeys,
  MemoryStore,
  type Policy,
  RateLimiter,
  StoreRequestError,
  slidingLog,
} from '../../src/index.js';
import { LIBRARY, RedisStore, SCRIPT } from '../../src/stores/redis/index.js';
import { type RawRequest, rawScriptCall } from '../support/raw-script-call.js';
import { redisFixture } from '../support/redis-fixture.js';

const db = redisFixture();

const BASE = 1_900_000_000_000;
const WINDOW_MS = 10_000;
// Entries that flowgate never writes: no colon, a field that is no number, not a finite integer.
const GARBAGE = ['garbage', '4000', 'x:5', '4000:y', ':', 'nan:5', '4000:nan', 'inf:5', '4000:1e999', '4000:2.5'];

/** Fails unless the call failed with flowgate's foreign-value error (as for a key of another type). */
function assertForeign(outcome: PromiseSettledResult<unknown>, what: string): void {
  assert.equal(outcome.status, 'rejected', `${what}: decided`);
  const error = (outcome as PromiseRejectedResult).reason;
  assert.ok(error instanceof StoreRequestError, `${what}: ${String(error)}`);
  assert.match(error.message, /flowgate did not write/, what);
}

/** The values of settled calls (a rejection's reason in its place, to show in a failed comparison). */
const values = (outcomes: PromiseSettledResult<unknown>[]): unknown[] =>
  outcomes.map((o) => (o.status === 'fulfilled' ? o.value : o.reason));

/** The same limiter on Redis (general path: an explicit clock) and on the memory store. */
function twins<Name extends string>(limits: Record<Name, Policy>, prefix: string) {
  let now = BASE;
  const clock = (): number => now;
  const options = { limits, prefix, clock, timeoutMs: Number.POSITIVE_INFINITY } as const;
  const redis = new RateLimiter({
    ...options,
    store: new RedisStore({ client: db.client('ioredis').client }),
    onStoreError: 'throw',
  });
  const memory = new RateLimiter({ ...options, store: new MemoryStore() });
  return { redis, memory, at: (ms: number) => (now = BASE + ms) };
}

/** Ten admissions one second apart (entries 1..10 of the list, at 0..9 s), on both twins. */
async function history<Name extends string>(
  t: ReturnType<typeof twins<Name>>,
  keys: LimiterKeys<Name>[],
  memoryKeys: LimiterKeys<Name>[],
): Promise<void> {
  for (let i = 0; i < 10; i++) {
    t.at(i * 1000);
    for (const k of keys) assert.ok((await t.redis.limit(k)).allowed);
    for (const k of memoryKeys) assert.ok((await t.memory.limit(k)).allowed);
  }
}

async function logKey(pattern: string): Promise<string> {
  const keys = await db.admin.keys(pattern);
  assert.equal(keys.length, 1, pattern);
  return keys[0] as string;
}

describe('a sliding log entry flowgate did not write, in the middle of the list', () => {
  // At 15.5 s the window starts after 5.5 s: the search reads entries 1, 2, 4, 8, 6, 7
  // (list index = entry), 4 units are live; a denial of cost 9 waits for the third of
  // them and scans entries 7 to 9, reading entry 9 from the list.
  for (const [index, cost, reader] of [
    [4, 1, "the search for the window's start"],
    [9, 9, "a denial's scan"],
  ] as const) {
    for (const garbage of GARBAGE) {
      test(`${JSON.stringify(garbage)} at index ${index}, read by ${reader}: only its requests fail, nothing of them is written`, async () => {
        await db.admin.flushdb();
        const t = twins({ log: slidingLog({ limit: 10, window: WINDOW_MS }) }, 'mid');
        await history(t, ['a', 'bad', 'b'], ['a', 'b']);
        const bad = await logKey('{mid:bad}*');
        await db.admin.lset(bad, index, garbage);
        const dumped = await db.admin.dump(bad);
        t.at(15_500);
        // One job, one script call: good requests before, between and after two on the bad key.
        const [a1, bad1, b1, bad2, a2] = await Promise.allSettled([
          t.redis.limit('a', { cost }),
          t.redis.limit('bad', { cost }),
          t.redis.limit('b', { cost }),
          t.redis.limit('bad'),
          t.redis.limit('a', { cost: 3 }),
        ]);
        assertForeign(bad1, 'first');
        assertForeign(bad2, 'second');
        const expected = [
          await t.memory.limit('a', { cost }),
          await t.memory.limit('b', { cost }),
          await t.memory.limit('a', { cost: 3 }),
        ];
        assert.deepEqual(values([a1, b1, a2]), expected);
        assert.deepEqual(await db.admin.dump(bad), dumped, 'the bad list is left as it was');
        for (const k of ['a', 'b']) assert.deepEqual(await t.redis.peek(k), await t.memory.peek(k), k);
      });
    }
  }

  test('a refund walking over it fails alone and gives nothing back', async () => {
    await db.admin.flushdb();
    const t = twins({ log: slidingLog({ limit: 10, window: WINDOW_MS }) }, 'ref');
    const admitted: Record<string, Decision[]> = { a: [], bad: [] };
    for (let i = 0; i < 10; i++) {
      t.at(i * 1000);
      for (const k of ['a', 'bad']) admitted[k]?.push(await t.redis.limit(k));
      await t.memory.limit('a');
    }
    const bad = await logKey('{ref:bad}*');
    await db.admin.lset(bad, 4, 'garbage');
    const dumped = await db.admin.dump(bad);
    t.at(9_500);
    // The admission at 2 s: the walk from the newest entry reads every entry after it.
    const [first, refunded, after] = await Promise.allSettled([
      t.redis.limit('a'),
      t.redis.refund('bad', { decision: admitted.bad?.[2] as Decision }),
      t.redis.limit('a'),
    ]);
    assertForeign(refunded, 'refund');
    assert.deepEqual(values([first, after]), [await t.memory.limit('a'), await t.memory.limit('a')]);
    assert.deepEqual(await db.admin.dump(bad), dumped);
  });

  test("a set's refund whose log walks over it gives nothing back in the set's other limit either", async () => {
    await db.admin.flushdb();
    const limits = {
      user: fixedWindow({ limit: 100, window: '1h' }),
      log: slidingLog({ limit: 10, window: WINDOW_MS }),
    };
    const t = twins(limits, 'setref');
    const bad = { user: 'u', log: 'bad' };
    const good = { user: 'u', log: 'g' };
    const admitted: Decision[] = [];
    for (let i = 0; i < 10; i++) {
      t.at(i * 1000);
      admitted.push(await t.redis.limit(bad));
      await t.memory.limit(bad);
    }
    const badKey = await logKey('{setref:bad}*log*');
    await db.admin.lset(badKey, 4, 'garbage');
    const dumped = await db.admin.dump(badKey);
    t.at(9_500);
    // The user limit is given back first, then the log's walk finds the foreign entry; a set
    // on the same user key in the same call counts as if that refund had never been asked.
    const [refunded, after] = await Promise.allSettled([
      t.redis.refund(bad, { decision: admitted[2] as Decision }),
      t.redis.limit(good),
    ]);
    assertForeign(refunded as PromiseSettledResult<unknown>, 'refund');
    assert.deepEqual(values([after as PromiseSettledResult<unknown>]), [await t.memory.limit(good)]);
    assert.deepEqual(await t.redis.peek(good), await t.memory.peek(good));
    assert.deepEqual(await db.admin.dump(badKey), dumped);
  });

  test('in a set, as its second limit: nothing of the set is committed, the other sets decide exactly', async () => {
    await db.admin.flushdb();
    const limits = {
      user: fixedWindow({ limit: 100, window: '1h' }),
      log: slidingLog({ limit: 10, window: WINDOW_MS }),
    };
    const t = twins(limits, 'set');
    const good = { user: 'u', log: 'g' };
    const bad = { user: 'u', log: 'bad' };
    // The memory twin counts the bad requests of the history too (its log of them is clean, and never asked again).
    await history(t, [good, bad], [good, bad]);
    const badKey = await logKey('{set:bad}*log*');
    await db.admin.lset(badKey, 4, 'garbage');
    const dumped = await db.admin.dump(badKey);
    t.at(15_500);
    const [g1, b1, g2, b2] = await Promise.allSettled([
      t.redis.limit(good),
      t.redis.limit(bad),
      t.redis.limit(good, { cost: 2 }),
      t.redis.limit(bad, { cost: 7 }),
    ]);
    assertForeign(b1, 'first');
    assertForeign(b2, 'second');
    assert.deepEqual(values([g1, g2]), [await t.memory.limit(good), await t.memory.limit(good, { cost: 2 })]);
    assert.deepEqual(await t.redis.peek(good), await t.memory.peek(good), 'the user limit counts the good sets only');
    assert.deepEqual(await db.admin.dump(badKey), dumped);
  });

  test("the script's other reads of a log ('z' state, 'e' verdict, 'R' refund and state) fail only their request", async () => {
    await db.admin.flushdb();
    const t = twins({ log: slidingLog({ limit: 10, window: WINDOW_MS }) }, 'ops');
    const admitted: Decision[] = [];
    for (let i = 0; i < 10; i++) {
      t.at(i * 1000);
      admitted.push(await t.redis.limit('bad'));
      await t.redis.limit('a');
    }
    const [bad, good] = [await logKey('{ops:bad}*'), await logKey('{ops:a}*')];
    await db.admin.lset(bad, 4, 'garbage');
    const dumped = [await db.admin.dump(bad), await db.admin.dump(good)];
    // The general function as RedisStore calls it for a set across slots and a released reservation:
    // explicit clock, value encoding; per request its op, nowMs and the op's own arguments.
    const now = String(BASE + 15_500);
    const at = String(admitted[2]?.atMs);
    const requests: RawRequest[] = [
      [bad, ['z', now]],
      [good, ['z', now]],
      [bad, ['e', now, '2']],
      [good, ['e', now, '2']],
      [bad, ['R', String(BASE + 9_500), at, String(admitted[2]?.resetMs), '1']],
      [good, ['z', now]],
    ];
    const foreign = [0, 'flowgate: the key holds a value flowgate did not write'];
    // Each good request: status 1 and its 7 numbers (4 live units of 10, the newest at 9 s: reset at 19 s).
    const state = [1, 1, 6, 3_500, 0, 0, BASE + 15_500, 0];
    // The library's function, and the script where Functions are refused (nothing here writes).
    for (const [command, name] of [
      ['FCALL', LIBRARY.name],
      ['EVAL', SCRIPT.text],
    ] as const) {
      const reply = await rawScriptCall(db.admin, command, name, `sl,10,${WINDOW_MS},,;`, requests);
      assert.deepEqual(reply.slice(1), [1, ...foreign, ...state, ...foreign, ...state, ...foreign, ...state], command);
    }
    assert.deepEqual([await db.admin.dump(bad), await db.admin.dump(good)], dumped);
  });

  test("the lone function (one limit on the server's TIME): fails with the same error, writes nothing", async () => {
    await db.admin.flushdb();
    const limiter = new RateLimiter({
      policy: slidingLog({ limit: 10, window: '1h' }),
      store: new RedisStore({ client: db.client('ioredis').client }),
      prefix: 'lone',
      onStoreError: 'throw',
      timeoutMs: Number.POSITIVE_INFINITY,
    });
    await limiter.limit('k');
    const key = await logKey('{lone:k}*');
    // The oldest entry two hours back (gone), the newest an hour ahead (live): whenever the call runs, the
    // search for the window's start reads entries between them, and each of those is foreign.
    const [seconds] = await db.admin.time();
    const nowMs = Number(seconds) * 1000;
    const middle = Array.from({ length: 10 }, () => 'garbage');
    await db.admin.del(key);
    await db.admin.rpush(key, '0:0', `${nowMs - 7_200_000}:1`, ...middle, `${nowMs + 3_600_000}:2`);
    const dumped = await db.admin.dump(key);
    const [lone] = await Promise.allSettled([limiter.limit('k')]);
    assertForeign(lone as PromiseSettledResult<Decision>, 'lone');
    assert.deepEqual(await db.admin.dump(key), dumped);
  });
});
