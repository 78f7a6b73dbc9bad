/**
 * Attack: a sliding log's list whose entries all parse, but whose instants or
 * running totals go backwards (written by another program, or by hand). The
 * script cannot tell such a list from its own where it reads nothing out of
 * order, and need not: what it did not read does not decide anything. Where a
 * decision does read entries out of order, they used to decide it: totals
 * going down counted fewer than no units (remaining above the limit), an
 * instant going back gave a denial a wait below zero, a denial's scan over
 * totals that never grow read the whole list (work without bound), and a
 * refund's walk over them wrote a total below zero (so the key's next request
 * failed). Decided: where a decision reads entries out of order the request
 * fails alone with the foreign-value error and writes nothing (as for an entry
 * that does not parse); out of order where nothing reads it, the list is
 * decided on as flowgate's.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Decision, RateLimiter, StoreRequestError, slidingLog } from '../../src/index.js';
import { LIBRARY, RedisStore } from '../../src/stores/redis/index.js';
import { redisFixture } from '../support/redis-fixture.js';

const db = redisFixture();

const BASE = 1_900_000_000_000;
const WINDOW_MS = 10_000;
let prefixes = 0;

/** A log of `limit` on Redis (explicit clock), and the Redis key of user key 'k'. */
async function log(limit: number, windowMs = WINDOW_MS) {
  let now = BASE;
  const prefix = `ooo${prefixes++}`;
  const limiter = new RateLimiter({
    policy: slidingLog({ limit, window: windowMs }),
    store: new RedisStore({ client: db.client('ioredis').client }),
    prefix,
    clock: () => now,
    onStoreError: 'throw',
    logger: false,
    timeoutMs: Number.POSITIVE_INFINITY,
  });
  await limiter.limit('k');
  const [key] = await db.admin.keys(`{${prefix}:k}*`);
  assert.ok(key !== undefined);
  await db.admin.del(key);
  return { limiter, key, at: (ms: number) => (now = BASE + ms) };
}

/** Entries `[ms, total]` after the sentinel '0:0', at BASE + ms. */
async function plant(key: string, entries: [number, number][]): Promise<Buffer | null> {
  await db.admin.del(key);
  await db.admin.rpush(key, '0:0', ...entries.map(([ms, total]) => `${BASE + ms}:${total}`));
  return db.admin.dumpBuffer(key);
}

/** Ten one-unit entries one second apart: at 0..9 s, totals 1..10. */
const TEN: [number, number][] = Array.from({ length: 10 }, (_, i) => [i * 1000, i + 1]);

async function assertForeign(call: Promise<unknown>, what: string): Promise<void> {
  const [outcome] = await Promise.allSettled([call]);
  assert.equal(
    outcome?.status,
    'rejected',
    `${what}: decided ${JSON.stringify((outcome as { value?: unknown }).value)}`,
  );
  const reason = (outcome as PromiseRejectedResult).reason;
  assert.ok(reason instanceof StoreRequestError, `${what}: ${String(reason)}`);
  assert.match(reason.message, /flowgate did not write/, what);
}

test('totals going down count fewer than no units: the request fails (it used to admit with remaining above the limit)', async () => {
  const { limiter, key, at } = await log(10);
  // At 10.5 s the window starts after 0.5 s: the live entries are 2 and 3, counted as 3 - 5 = -2 units.
  const dumped = await plant(key, [
    [0, 5],
    [1_000, 9],
    [2_000, 3],
  ]);
  at(10_500);
  await assertForeign(limiter.limit('k'), 'limit');
  await assertForeign(limiter.peek('k'), 'peek');
  assert.deepEqual(await db.admin.dumpBuffer(key), dumped);
});

test("an instant going back where a denial's scan reads it: the request fails (it used to wait below zero)", async () => {
  const { limiter, key, at } = await log(10);
  // Entry 9 (8 s) stamped 100 s earlier. At 15.5 s the search reads entries 1, 2, 4, 8, 6 and 7 (4 units
  // live, from entry 7); a cost of 9 waits for the third of them, and the scan reads entries 7 to 9.
  const entries = TEN.map(([ms, total]): [number, number] => (total === 9 ? [ms - 108_000, total] : [ms, total]));
  const dumped = await plant(key, entries);
  at(15_500);
  await assertForeign(limiter.limit('k', { cost: 9 }), 'limit');
  assert.deepEqual(await db.admin.dumpBuffer(key), dumped);
  // The same list decides a request whose reads are in order: a cost of 1 reads no entry 9.
  const decided = await limiter.limit('k', { cost: 1 });
  assert.deepEqual([decided.allowed, decided.remaining], [true, 5]);
});

test("totals that never grow: a denial's scan stops at the first (it used to read the whole list)", async () => {
  const { limiter, key, at } = await log(5);
  // 5 000 entries of total 1 after the first, then the newest at total 10: all live at 5 s; a denial
  // waits for the sixth unit, which no entry before the newest holds.
  const flat: [number, number][] = Array.from({ length: 5_000 }, (_, i) => [i, 1]);
  const dumped = await plant(key, [...flat, [5_000, 10]]);
  at(5_001);
  await db.admin.config('RESETSTAT');
  await assertForeign(limiter.limit('k'), 'limit');
  const stats = await db.admin.info('commandstats');
  const lranges = Number(/cmdstat_lrange:calls=(\d+)/.exec(stats)?.[1] ?? 0);
  // The load's head, and the scan's first chunk.
  assert.ok(lranges <= 2, `${lranges} LRANGE calls`);
  assert.deepEqual(await db.admin.dumpBuffer(key), dumped);
});

test("totals going down where a refund's walk reads them: the refund fails and writes nothing (it used to write a total below zero)", async () => {
  const { limiter, key, at } = await log(10);
  const admitted: Decision[] = [];
  for (let i = 0; i < 10; i++) {
    at(i * 1000);
    admitted.push(await limiter.limit('k'));
  }
  // Entry 9 (8 s) holds total 0, below entry 8's 8: giving back the unit at 7 s (entry 8) would take
  // it from every later total.
  await db.admin.lset(key, 9, `${BASE + 8_000}:0`);
  const dumped = await db.admin.dumpBuffer(key);
  at(9_500);
  await assertForeign(limiter.refund('k', { decision: admitted[7] as Decision }), 'refund');
  assert.deepEqual(await db.admin.dumpBuffer(key), dumped);
});

test('out of order where no decision reads it: decided as flowgate would decide its own list', async () => {
  const clean = await log(10);
  const shuffled = await log(10);
  await plant(clean.key, TEN);
  // Entries 1 and 2 (0 s and 1 s) with their instants swapped: both left the window by 15.5 s, which
  // is all the search learns of them.
  await plant(shuffled.key, [[1_000, 1], [0, 2], ...TEN.slice(2)]);
  clean.at(15_500);
  shuffled.at(15_500);
  assert.deepEqual(await shuffled.limiter.limit('k', { cost: 2 }), await clean.limiter.limit('k', { cost: 2 }));
  // The admission dropped what left the window: the lists are now the same.
  assert.deepEqual(await db.admin.lrange(shuffled.key, 0, -1), await db.admin.lrange(clean.key, 0, -1));
});

// No limit admits more than 100 000 units in a window (MAX_LOG_LIMIT), so no log of flowgate's holds more
// live units, or more live entries. A list that claims more, in order, would have a denial's scan or a
// refund's walk read each of them in one call: 120 000 here, 3.6 million in a real one-hour window.
const CROWD: [number, number][] = Array.from({ length: 120_000 }, (_, i) => [i, i + 1]);

test('more live units than any limit admits: a denial fails instead of scanning them all', async () => {
  const { limiter, key, at } = await log(10, WINDOW_MS * 100);
  const dumped = await plant(key, CROWD);
  at(120_000);
  await assertForeign(limiter.limit('k'), 'limit');
  assert.deepEqual(await db.admin.dumpBuffer(key), dumped);
});

test("more live entries than any limit admits: a refund's walk fails instead of reading them all", async () => {
  const { key } = await log(10, WINDOW_MS * 100);
  const dumped = await plant(key, CROWD);
  // The script's refund op ('r'), explicit clock: give back the unit at 0 ms, the oldest of 120 000 live entries.
  const reply = (await db.admin.call(
    'FCALL',
    LIBRARY.name,
    '1',
    key,
    'x',
    'v',
    '0',
    '',
    `sl,10,${WINDOW_MS * 100},,;`,
    'r',
    String(BASE + 120_000),
    String(BASE),
    String(WINDOW_MS * 100),
    '1',
  )) as (number | string)[];
  assert.deepEqual(reply.slice(1), [1, 0, 'flowgate: the key holds a value flowgate did not write']);
  assert.deepEqual(await db.admin.dumpBuffer(key), dumped);
});
