/**
 * Issue 10: a plain batch (one limit, cost 1 per request, the server's TIME,
 * no per-request arguments: RedisStore's every limit() of a one-limit
 * limiter) takes its own loop in the script (lua/plain.lua.ts). It must
 * decide, reply and store exactly what the general loop does for the same
 * requests at the same instant: the plain call's server time is handed to a
 * general call (an explicit clock, each request its op '1') on a twin of
 * every key, seeded by the same earlier calls, and both replies and every
 * key's stored state are compared. The keys cover a missing key, states from
 * earlier windows (rollovers), a full one and one ahead of the clock
 * (denials), repeats of a key in a batch, and a key of another type and one
 * holding a value flowgate did not write, each in the middle of the batch:
 * those fail alone.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fixedWindow, leakyBucket, type Policy, slidingLog, slidingWindow, tokenBucket } from '../../src/index.js';
import { LIBRARY, SCRIPT } from '../../src/stores/redis/index.js';
import { algorithmTag } from '../../src/stores/redis/keys.js';
import { redisFixture } from '../support/redis-fixture.js';

const db = redisFixture();

const POLICIES: Record<string, { policy: Policy; unitMs: number }> = {
  'fixed window': { policy: fixedWindow({ limit: 3, window: '10s' }), unitMs: 10_000 },
  'sliding window': { policy: slidingWindow({ limit: 3, window: '10s' }), unitMs: 10_000 },
  'token bucket': { policy: tokenBucket({ capacity: 3, refillPerSecond: 1 }), unitMs: 1_000 },
  'leaky bucket': { policy: leakyBucket({ capacity: 3, leakPerSecond: 1 }), unitMs: 1_000 },
  'sliding log': { policy: slidingLog({ limit: 3, window: '10s' }), unitMs: 10_000 },
};

/** The limit as RedisStore describes it (ARGV[5]): the compact replies a plain batch needs. */
function described(policy: Policy): string {
  const params = policy.params.map((value) => String(value));
  while (params.length < 3) params.push('');
  return `${[algorithmTag(policy), ...params, ''].join(',')};`;
}

const WRONG_TYPE = 5;
const FOREIGN = 6;
const KEYS = 8;
/** Each round's batch, by key: repeats deny once a key's 3 units are spent; 5 and 6 fail. */
const BATCH = [0, 1, 1, 2, 3, WRONG_TYPE, 3, 3, 3, FOREIGN, 4, 7, 0, 4];

type Run = (keys: string[], args: string[]) => Promise<unknown[]>;

const runs: Record<string, Run> = {
  FCALL: async (keys, args) => {
    await db.admin.call('FUNCTION', 'LOAD', 'REPLACE', LIBRARY.code);
    return (await db.admin.call('FCALL', LIBRARY.name, String(keys.length), ...keys, ...args)) as unknown[];
  },
  EVAL: async (keys, args) => (await db.admin.eval(SCRIPT.text, keys.length, ...keys, ...args)) as unknown[],
};

/** Every request at its own explicit instant through the general loop (ARGV: see lua/prelude.lua.ts). */
function general(run: Run, encoding: string, limit: string, keys: string[], nowMs: readonly number[]) {
  return run(keys, ['x', encoding, '0', '', limit, ...nowMs.flatMap((at) => ['1', String(at)])]);
}

/** What a key holds: its type, value or list, and its expiry (a log's TTL is relative: only whether it has one). */
async function stored(key: string, exact: boolean): Promise<unknown[]> {
  const type = await db.admin.type(key);
  const expiry = Number(await db.admin.call('PEXPIRETIME', key));
  const at = exact ? expiry : Math.sign(expiry);
  if (type === 'string') return [type, await db.admin.get(key), at];
  if (type === 'list') return [type, await db.admin.lrange(key, 0, -1), Math.sign(expiry)];
  return [type, at];
}

/** The admissions and denials of a one-limit reply (see lua/prelude.lua.ts): statuses 2 and 3 are compact. */
function verdicts(reply: unknown[]): { admitted: number; denied: number } {
  let admitted = 0;
  let denied = 0;
  for (let at = 2; at < reply.length; ) {
    const status = reply[at];
    if (status === 0) at += 2;
    else if (status === 2 || status === 3) {
      admitted++;
      at += status + 1;
    } else {
      if (reply[at + 1] === 1) admitted++;
      else denied++;
      at += 8;
    }
  }
  return { admitted, denied };
}

for (const [command, run] of Object.entries(runs)) {
  describe(`a plain batch and the general loop agree (${command})`, () => {
    for (const [name, { policy, unitMs }] of Object.entries(POLICIES)) {
      for (const encoding of ['e', 'v']) {
        test(`${name}, state in the ${encoding === 'e' ? 'expiry' : 'value'}`, async () => {
          const limit = described(policy);
          const prefix = `${command}:${name}:${encoding}`;
          const plain = Array.from({ length: KEYS }, (_, i) => `${prefix}:p:${i}`);
          const twin = Array.from({ length: KEYS }, (_, i) => `${prefix}:g:${i}`);
          const [seconds, micros] = await db.admin.time();
          const t0 = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
          // Earlier requests, the same on both twins: a state one window and two windows back
          // (rollovers), half a window back, a full one, one ahead of the clock (denials).
          const seeds: [number, number][] = [
            [1, t0 - unitMs],
            [2, t0 - unitMs / 2],
            [3, t0 - 2 * unitMs],
            [4, t0 - 100],
            [4, t0 - 100],
            [4, t0 - 50],
            [7, t0 + unitMs],
          ];
          await general(
            run,
            encoding,
            limit,
            seeds.flatMap(([i]) => [plain[i] as string, twin[i] as string]),
            seeds.flatMap(([, at]) => [at, at]),
          );
          for (const keys of [plain, twin]) {
            await db.admin.hset(keys[WRONG_TYPE] as string, 'field', 'value');
            // A value of the right type that flowgate did not write (a count without its expiry, in the expiry encoding).
            const foreign = keys[FOREIGN] as string;
            if (name === 'sliding log') await db.admin.rpush(foreign, '0:0', 'garbage');
            else await db.admin.set(foreign, encoding === 'e' ? '12' : 'written by someone else');
          }
          for (let round = 0; round < 3; round++) {
            const byPlain = await run(
              BATCH.map((i) => plain[i] as string),
              ['', encoding, '0', '', limit],
            );
            const nowMs = byPlain[0] as number;
            const byGeneral = await general(
              run,
              encoding,
              limit,
              BATCH.map((i) => twin[i] as string),
              BATCH.map(() => nowMs),
            );
            assert.deepEqual(byPlain.slice(1), byGeneral.slice(1), `round ${round}: replies`);
            for (let i = 0; i < KEYS; i++) {
              assert.deepEqual(
                await stored(plain[i] as string, encoding === 'e'),
                await stored(twin[i] as string, encoding === 'e'),
                `round ${round}: key ${i}`,
              );
            }
            // The failed requests, alone: the wrong type's and the foreign value's errors, where
            // the batch asked them (status 0 and a message), and nothing more.
            const errors = (byPlain.slice(2) as unknown[]).filter((item) => typeof item === 'string');
            assert.equal(errors.length, 2, `round ${round}: ${JSON.stringify(byPlain)}`);
            assert.match(String(errors[0]), /WRONGTYPE/);
            assert.match(String(errors[1]), /flowgate did not write/);
            // Every other request decided; the first round admits some and denies some (a fresh key,
            // four requests on a key of three units), later ones deny as the keys run out.
            const { admitted, denied } = verdicts(byPlain);
            assert.equal(admitted + denied, BATCH.length - 2, `round ${round}`);
            if (round === 0) assert.ok(admitted > 0 && denied > 0, `${admitted} admitted, ${denied} denied`);
          }
          assert.equal(await db.admin.hget(plain[WRONG_TYPE] as string, 'field'), 'value');
          // A hot key's batch sends its key once, with the request count after the encoding ('e6'):
          // the same as the key sent six times, through the general loop.
          for (let round = 0; round < 2; round++) {
            const hot = `${prefix}:hot:p`;
            const byPlain = await run([hot], ['', `${encoding}6`, '0', '', limit]);
            const nowMs = byPlain[0] as number;
            const hotTwin = `${prefix}:hot:g`;
            const byGeneral = await general(run, encoding, limit, Array(6).fill(hotTwin), Array(6).fill(nowMs));
            assert.deepEqual(byPlain.slice(1), byGeneral.slice(1), `hot round ${round}: replies`);
            assert.deepEqual(
              await stored(hot, encoding === 'e'),
              await stored(hotTwin, encoding === 'e'),
              `hot round ${round}`,
            );
            const { admitted, denied } = verdicts(byPlain);
            assert.deepEqual([admitted, denied], round === 0 ? [3, 3] : [admitted, 6 - admitted]);
          }
        });
      }
    }
  });
}
