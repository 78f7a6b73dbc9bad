/**
 * Issue 10: a bucket's save keeps the digits of the last expiry, value and
 * TTL it sent (lua/bucket.lua.ts), so a batch of refilled keys formats them
 * once, not once per key. Keys of one batch whose states need different ones
 * (created at other times, with other backlogs) must each get their own: the
 * stored value and expiry of every key are checked against the policy's own
 * math (src/policies/bucket.ts) at the batch's server time, batch after batch
 * (a Function library keeps the digits from one call to the next).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { leakyBucket, type Policy, tokenBucket } from '../../src/index.js';
import { TICK_EPOCH_MS } from '../../src/policies/rate.js';
import { LIBRARY, SCRIPT } from '../../src/stores/redis/index.js';
import { algorithmTag } from '../../src/stores/redis/keys.js';
import { redisFixture } from '../support/redis-fixture.js';

const db = redisFixture();

const POLICIES: Record<string, Policy> = {
  'token bucket': tokenBucket({ capacity: 5, refillPerSecond: 3 }),
  'leaky bucket': leakyBucket({ capacity: 5, leakPerSecond: 3 }),
};

type Run = (keys: string[], args: string[]) => Promise<unknown[]>;

const runs: Record<string, Run> = {
  FCALL: async (keys, args) => {
    await db.admin.call('FUNCTION', 'LOAD', 'REPLACE', LIBRARY.code);
    return (await db.admin.call('FCALL', LIBRARY.name, String(keys.length), ...keys, ...args)) as unknown[];
  },
  EVAL: async (keys, args) => (await db.admin.eval(SCRIPT.text, keys.length, ...keys, ...args)) as unknown[],
};

async function serverMs(): Promise<number> {
  const [seconds, micros] = await db.admin.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

/** Earlier requests on keys 1-4 (key 0 and 5 are fresh): other backlogs, other expiries. */
const SEEDS: [key: number, cost: number][] = [
  [1, 3],
  [2, 1],
  [3, 4],
  [4, 2],
  [2, 1],
];
/** Each batch: fresh and seeded keys mixed, repeats included, so that the kept digits change back and forth. */
const BATCH = [0, 1, 2, 0, 3, 5, 4, 1, 0, 2];

for (const [command, run] of Object.entries(runs)) {
  describe(`a bucket batch's keys each get their own expiry (${command})`, () => {
    for (const [name, policy] of Object.entries(POLICIES)) {
      for (const encoding of ['e', 'v']) {
        test(`${name}, state in the ${encoding === 'e' ? 'expiry' : 'value'}`, async () => {
          const params = policy.params.map(String);
          const limit = `${[algorithmTag(policy), ...params, ''].join(',')};`;
          const ticksPerMs = policy.params[1] as number;
          const keys = Array.from({ length: 6 }, (_, i) => `${command}:${name}:${encoding}:${i}`);
          // The model: one tat per key, decided by the policy itself; expiry: where the last admission's
          // TTL (its resetMs, relative to when Redis ran the SET) puts the key's expiry, at the earliest and latest.
          const state = new Float64Array(keys.length);
          const expiryFrom: [number, number][] = [];
          keys.forEach((_, i) => {
            policy.init(state, i);
          });
          const seededAt = await serverMs();
          const seeded = await run(
            SEEDS.map(([i]) => keys[i] as string),
            ['x', encoding, '0', '', limit, ...SEEDS.flatMap(([, cost]) => [String(cost), String(seededAt)])],
          );
          const seededBy = await serverMs();
          assert.equal(seeded[1], 1);
          for (const [i, cost] of SEEDS) {
            const decided = policy.decide(state, i, seededAt, cost, true);
            if (decided.allowed) expiryFrom[i] = [seededAt + decided.resetMs, seededBy + decided.resetMs];
          }
          for (let round = 0; round < 3; round++) {
            const reply = await run(
              BATCH.map((i) => keys[i] as string),
              ['', encoding, '0', '', limit],
            );
            const after = await serverMs();
            const nowMs = reply[0] as number;
            for (const i of BATCH) {
              const decided = policy.decide(state, i, nowMs, 1, true);
              if (decided.allowed) expiryFrom[i] = [nowMs + decided.resetMs, after + decided.resetMs];
            }
            const expiries = new Set<number>();
            for (let i = 0; i < keys.length; i++) {
              const key = keys[i] as string;
              const tat = state[i] as number;
              const expiry = Number(await db.admin.call('PEXPIRETIME', key));
              if (encoding === 'e') {
                const expireAt = Math.ceil(tat / ticksPerMs);
                assert.equal(await db.admin.get(key), String(expireAt * ticksPerMs - tat), `round ${round}: key ${i}`);
                assert.equal(expiry, TICK_EPOCH_MS + expireAt, `round ${round}: key ${i}'s expiry`);
              } else {
                assert.equal(await db.admin.get(key), `:${tat}`, `round ${round}: key ${i}`);
                // PX is relative to when Redis ran the SET: after the call's TIME, before the one after it.
                const [earliest, latest] = expiryFrom[i] as [number, number];
                assert.ok(
                  expiry >= earliest && expiry <= latest,
                  `round ${round}: key ${i}'s expiry ${expiry}, not in [${earliest}, ${latest}]`,
                );
              }
              expiries.add(expiry);
            }
            // The batch did need different expiries (else the test would show nothing).
            assert.ok(expiries.size >= 3, `round ${round}: ${[...expiries].join(', ')}`);
          }
        });
      }
    }
  });
}
