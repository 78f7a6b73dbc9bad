/**
 * Attack (raw script): two sliding-log limits with different windows on ONE
 * Redis key. flowgate's client never does this: a key's name carries its
 * algorithm and window (`{prefix:key}:sl:<windowMs>`), so two limiters, or
 * two limits of a set, with different windows never share a list. A raw
 * EVALSHA/FCALL can, and today the list does not record its window: the
 * shorter window's admission drops (or restarts) the entries the longer one
 * still counts, and the longer window then admits past its limit. Nothing
 * foreign is written (the list stays a valid log, every other key is
 * untouched): the raw caller only miscounts its own key. Detecting it would
 * take the window in the log, read on every decision (the newest entry's
 * carried fields: a layout older flowgates refuse as foreign) — left to the
 * lead (see the report). This test pins both halves, so a change is deliberate.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateLimiter, slidingLog } from '../../src/index.js';
import { LIBRARY, RedisStore } from '../../src/stores/redis/index.js';
import { redisFixture } from '../support/redis-fixture.js';

const db = redisFixture();
const T = 1_900_000_000_000;

test('the client: two windows on one user key and prefix are two lists', async () => {
  const store = new RedisStore({ client: db.client('ioredis').client });
  const common = { store, prefix: 'windows', clock: () => T } as const;
  const long = new RateLimiter({ ...common, policy: slidingLog({ limit: 3, window: '1m' }) });
  const short = new RateLimiter({ ...common, policy: slidingLog({ limit: 3, window: '1s' }) });
  assert.equal((await long.limit('k', { cost: 3 })).remaining, 0);
  assert.equal((await short.limit('k')).remaining, 2);
  assert.equal((await long.limit('k')).allowed, false);
  assert.deepEqual((await db.admin.keys('{windows:k}*')).sort(), ['{windows:k}:sl:1000', '{windows:k}:sl:60000']);
});

test('a raw call: a shorter window on the same list makes the longer one miscount its own key', async () => {
  await db.admin.call('FUNCTION', 'LOAD', 'REPLACE', LIBRARY.code);
  const call = (window: number, cost: number, at: number) =>
    db.admin.call(
      'FCALL',
      LIBRARY.name,
      '1',
      '{raw}',
      'x',
      'v',
      '0',
      '',
      `sl,3,${window},,;`,
      String(cost),
      String(at),
    );
  // The 60 s window is full.
  assert.deepEqual(await call(60_000, 3, T), [0, 1, 2, 0, 60_000]);
  // A 1 s window on the same list, 2 s later: everything left its window, so it starts a new log.
  assert.deepEqual(await call(1_000, 1, T + 2_000), [0, 1, 2, 2, 1_000]);
  assert.deepEqual(await db.admin.lrange('{raw}', 0, -1), ['0:0', `${T + 2_000}:1:${T + 2_000}:0`]);
  // The 60 s window now sees 1 unit where 4 were admitted within it: it admits 2 more (5 > 3).
  assert.deepEqual(await call(60_000, 1, T + 2_001), [0, 1, 2, 1, 60_000]);
  assert.deepEqual(await call(60_000, 1, T + 2_002), [0, 1, 2, 0, 60_000]);
  assert.equal(await db.admin.llen('{raw}'), 4);
});
