/**
 * Attack: a raw EVALSHA or FCALL of flowgate's script whose per-request
 * arguments are missing or malformed (a refund op without its three
 * arguments per limit, a cost that is a fraction, NaN or an infinity, an
 * unknown op, a clock that is text, fractional or beyond ±2^53, no op or clock at
 * all). flowgate's client never sends them, but one such request failed the
 * whole call (every request of the batch) with a Lua error, after the
 * requests before it had written (a sliding log writes its list as it
 * admits), or was decided as something else (a refund without arguments
 * reported success, an 'e' without its cost answered as a 'z'). Each must
 * fail alone, with a clear error, writing nothing; every other request of
 * the call decides and writes exactly as in the same call without it.
 * Malformed call-level arguments (the limits, the expiry margin) fail the
 * call before anything is written; the lone function fails its one request.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LIBRARY, SCRIPT } from '../../src/stores/redis/scripts.js';
import { redisFixture } from '../support/redis-fixture.js';

const db = redisFixture();

const T = '1900000000000';
// A sliding log (writes its list as it admits) and a fixed window, each request on both.
const LIMITS = 'sl,5,60000,,;fw,7,60000,,;';
const HEAD = ['x', 'v', '0', '', LIMITS];

/** Request arguments that are malformed; `last`: truncated, so only the last request of a call can be it. */
const MALFORMED: Record<string, { args: string[]; last?: boolean }> = {
  'refund without its arguments': { args: ['r', T, T], last: true },
  'refund with no argument at all': { args: ['r', T], last: true },
  'refund of text': { args: ['r', T, 'x', '1', '1', T, '1', '1'] },
  'refund of a fraction of a unit': { args: ['r', T, T, '20000', '1.5', '', '', ''] },
  'refund with a NaN resetMs': { args: ['r', T, T, 'nan', '1', '', '', ''] },
  "'R' without its arguments": { args: ['R', T], last: true },
  "'R' with an infinite atMs": { args: ['R', T, 'inf', '0', '1', '', '', ''] },
  "'c' with one cost for two limits": { args: ['c', T, '1'], last: true },
  "'c' with a negative cost": { args: ['c', T, '1', '-1'] },
  "'E' with an infinite cost": { args: ['E', T, 'inf', '1'] },
  "'e' without its cost": { args: ['e', T], last: true },
  "'e' with a cost past 2^53": { args: ['e', T, '1e999'] },
  "'z' with a text clock": { args: ['z', 'now'] },
  'a peek at a clock below -2^53': { args: ['p', '-9007199254740993'] },
  'a reset at a fractional clock': { args: ['d', '1.5'] },
  'an unknown op': { args: ['zz', T] },
  'a fractional cost': { args: ['2.5', T] },
  'a clock past 2^53': { args: ['1', '9007199254740993'] },
  'a request without its clock': { args: ['1'], last: true },
  'no arguments at all': { args: [], last: true },
};

let run = 0;

function keysOf(prefix: string, key: string): string[] {
  return [`{${prefix}:${key}}:sl`, `{${prefix}:${key}}:fw`];
}

/** Each key's value and absolute expiry: what any write would change. */
async function snapshot(keys: string[]): Promise<unknown[]> {
  return Promise.all(keys.flatMap((key) => [db.admin.dumpBuffer(key), db.admin.call('PEXPIRETIME', key)]));
}

/** A prefix whose keys a, b and c each hold one admission of cost 2. */
async function seeded(): Promise<string> {
  if (run === 0) await db.admin.call('FUNCTION', 'LOAD', 'REPLACE', LIBRARY.code);
  const prefix = `malformed${run++}`;
  const keys = ['a', 'b', 'c'].flatMap((k) => keysOf(prefix, k));
  const seed = [...HEAD, '2', T, '2', T, '2', T];
  await db.admin.call('FCALL', LIBRARY.name, String(keys.length), ...keys, ...seed);
  return prefix;
}

/** The answers of a call of limits on 2 limits each: status 1 and 7 numbers per limit, 2 or 3 compact, 0 an error. */
function split(reply: unknown[]): unknown[][] {
  const out: unknown[][] = [];
  for (let i = 2; i < reply.length; ) {
    const size = { 0: 2, 1: 15, 2: 5, 3: 7 }[reply[i] as number];
    assert.ok(size !== undefined, `status ${String(reply[i])} at ${i}: ${JSON.stringify(reply)}`);
    out.push(reply.slice(i, i + size));
    i += size;
  }
  return out;
}

type Caller = (keys: string[], argv: string[]) => Promise<unknown>;
const CALLERS: Record<string, Caller> = {
  FCALL: (keys, argv) => db.admin.call('FCALL', LIBRARY.name, String(keys.length), ...keys, ...argv),
  EVALSHA: async (keys, argv) => {
    await db.admin.call('SCRIPT', 'LOAD', SCRIPT.text);
    return db.admin.call('EVALSHA', SCRIPT.sha, String(keys.length), ...keys, ...argv);
  },
};

for (const [via, call] of Object.entries(CALLERS)) {
  describe(`${via}: a malformed request fails alone`, () => {
    for (const [name, { args, last }] of Object.entries(MALFORMED)) {
      test(name, async () => {
        // A limit on a, a limit with a cost per limit on c, and the malformed request on b.
        const good = [
          ['a', ['1', T]],
          ['c', ['c', T, '2', '1']],
        ] as const;
        const order = last ? [good[0], good[1], ['b', args] as const] : [good[0], ['b', args] as const, good[1]];
        const at = order.findIndex(([key]) => key === 'b');
        const withBad = await seeded();
        const without = await seeded();
        const before = await snapshot(keysOf(withBad, 'b'));
        const reply = (await call(
          order.flatMap(([key]) => keysOf(withBad, key)),
          [...HEAD, ...order.flatMap(([, a]) => a)],
        )) as unknown[];
        const reference = (await call(
          good.flatMap(([key]) => keysOf(without, key)),
          [...HEAD, ...good.flatMap(([, a]) => a)],
        )) as unknown[];
        const answers = split(reply);
        const [bad] = answers.splice(at, 1);
        assert.equal(bad?.[0], 0, JSON.stringify(reply));
        assert.match(String(bad?.[1]), /^flowgate: malformed request arguments: /);
        assert.deepEqual(answers, split(reference), 'the other requests decide as in the call without it');
        assert.deepEqual(await snapshot(keysOf(withBad, 'b')), before, 'the malformed request wrote nothing');
        for (const key of ['a', 'c']) {
          const [mine, theirs] = await Promise.all([
            Promise.all(keysOf(withBad, key).map((k) => db.admin.dumpBuffer(k))),
            Promise.all(keysOf(without, key).map((k) => db.admin.dumpBuffer(k))),
          ]);
          assert.deepEqual(mine, theirs, `${key} holds what the call without the malformed request wrote`);
        }
      });
    }
  });
}

describe('malformed call arguments fail the call before anything is written', () => {
  const CALLS: Record<string, string[]> = {
    'an unknown algorithm': ['x', 'v', '0', '', 'zz,5,60000,,;'],
    'a zero limit': ['x', 'v', '0', '', 'fw,0,60000,,;'],
    'a bucket without its interval': ['x', 'v', '0', '', 'tb,5,1,,;'],
    'no limit at all': ['x', 'v', '0', '', 'garbage'],
    'an expanded count past the arguments': ['x', 'v', '0', '', '1000000000'],
    'a fractional expiry margin': ['x', 'v', '0.5', '', 'fw,5,60000,,;'],
  };
  for (const [via, call] of Object.entries(CALLERS)) {
    for (const [name, head] of Object.entries(CALLS)) {
      test(`${via}: ${name}`, async () => {
        const prefix = await seeded();
        const keys = keysOf(prefix, 'a');
        const before = await snapshot(keys);
        // A reset first: it used to DEL before a later request's Lua error failed the call.
        await assert.rejects(
          call([keys[1] as string, keys[1] as string], [...head, 'd', T, '1', T]),
          /flowgate: malformed call arguments/,
        );
        assert.deepEqual(await snapshot(keys), before);
      });
    }
  }
});

test('the lone function: a malformed cost or limit fails its request, writing nothing', async () => {
  const prefix = await seeded();
  const [, key] = keysOf(prefix, 'a') as [string, string];
  const before = await snapshot([key]);
  for (const cost of ['x', '2.5', 'nan', '-1']) {
    const reply = (await db.admin.call('FCALL', LIBRARY.lone, '1', key, 'vfw,7,60000,,;', '', cost)) as unknown[];
    assert.deepEqual(reply.slice(1), [1, 0, 'flowgate: malformed request arguments: the cost is not a whole number']);
  }
  await assert.rejects(
    db.admin.call('FCALL', LIBRARY.lone, '1', key, 'vfw,0,60000,,;', ''),
    /flowgate: malformed call arguments/,
  );
  assert.deepEqual(await snapshot([key]), before);
});
