/**
 * Attack: the script's 'R' op (a released reservation of a set across
 * cluster slots) gives back a sliding log's units, then reports the log's
 * state. The refund reads the list from its newest entry back to the one it
 * gives back; the report's search for the window's start reads entries near
 * the oldest. A foreign entry that only the report reads used to fail the
 * request after the refund had been written: a request that fails must write
 * nothing. The request fails alone, with the foreign-value error, and leaves
 * the list byte for byte; the others of the call give back and report.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Decision, RateLimiter, slidingLog } from '../../src/index.js';
import { LIBRARY, RedisStore, SCRIPT } from '../../src/stores/redis/index.js';
import { type RawRequest, rawScriptCall } from '../support/raw-script-call.js';
import { redisFixture } from '../support/redis-fixture.js';

const db = redisFixture();

const BASE = 1_900_000_000_000;
const WINDOW_MS = 10_000;
const FOREIGN = [0, 'flowgate: the key holds a value flowgate did not write'];

/** Ten admissions one second apart on `bad` and `good` (entries 1..10, at 0..9 s); their decisions on `bad`. */
async function history(prefix: string): Promise<{ bad: string; good: string; admitted: Decision[] }> {
  let now = BASE;
  const limiter = new RateLimiter({
    policy: slidingLog({ limit: 10, window: WINDOW_MS }),
    store: new RedisStore({ client: db.client('ioredis').client }),
    prefix,
    clock: () => now,
    onStoreError: 'throw',
    timeoutMs: Number.POSITIVE_INFINITY,
  });
  const admitted: Decision[] = [];
  for (let i = 0; i < 10; i++) {
    now = BASE + i * 1000;
    admitted.push(await limiter.limit('bad'));
    await limiter.limit('good');
  }
  const [bad] = await db.admin.keys(`{${prefix}:bad}*`);
  const [good] = await db.admin.keys(`{${prefix}:good}*`);
  assert.ok(bad !== undefined && good !== undefined);
  return { bad, good, admitted };
}

for (const [command, name] of [
  ['FCALL', LIBRARY.name],
  ['EVAL', SCRIPT.text],
] as const) {
  test(`${command}: 'R' whose report meets a foreign entry its refund did not read writes nothing`, async () => {
    await db.admin.flushdb();
    const { bad, good, admitted } = await history(`r${command}`);
    // At 15.5 s the report's search reads entries 1, 2 and 4; the refund of the newest admission
    // (9 s) reads entries 10 back to 8. Only the report meets entry 4.
    await db.admin.lset(bad, 4, 'garbage');
    const dumped = await db.admin.dump(bad);
    const newest = admitted[9] as Decision;
    const refund = ['R', String(BASE + 15_500), String(newest.atMs), String(newest.resetMs), '1'];
    const requests: RawRequest[] = [
      [good, refund],
      [bad, refund],
      [good, ['z', String(BASE + 15_500)]],
    ];
    const reply = await rawScriptCall(db.admin, command, name, `sl,10,${WINDOW_MS},,;`, requests);
    // The good log gave its 9 s unit back: 3 units live (6, 7, 8 s), the newest at 8 s.
    const state = [1, 1, 7, 2_500, 0, 0, BASE + 15_500, 0];
    assert.deepEqual(reply.slice(1), [1, ...state, ...FOREIGN, ...state]);
    assert.deepEqual(await db.admin.dump(bad), dumped, 'the failed refund wrote nothing');
    assert.deepEqual(await db.admin.lrange(good, -1, -1), [`${BASE + 8_000}:9`]);
  });
}
