/**
 * Attack on what a script call shares between the requests it decides: a
 * set decided in one pass and undone when a later limit denies (states kept
 * and restored, keys to write truncated), compact replies next to full ones,
 * states read once per call, per-limit costs, shadow limits, peeks, resets
 * and refunds on the same keys, instants going backwards between requests.
 * A burst of requests made in one job (one or two script calls) must decide
 * every request exactly as the same requests made one at a time (one call
 * each, checked against MemoryStore and the policy math in limit-sets.test.ts),
 * and leave the same state.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { RateLimiter } from '../../src/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { redisFixture } from '../support/redis-fixture.js';
import {
  anyAdvanceArb,
  keysFor,
  type LimitDef,
  limitsOption,
  opsArb,
  type SetOp,
  setArb,
  startArb,
} from '../support/set-traces.js';

const db = redisFixture();
/** Keys outlive their state by a day of real time: a slow step on a loaded machine never finds one gone. */
const MARGIN_MS = 86_400_000;
const RUNS = Number(process.env.FG_PROPERTY_RUNS ?? 100);
let prefixes = 0;

/** Starts `op` on `limiter` now (refunds without a decision: the key's latest admission). */
function start(limiter: RateLimiter<string>, defs: readonly LimitDef[], op: SetOp, smallest: number): Promise<unknown> {
  const keys = keysFor(defs, op.keys);
  switch (op.op) {
    case 'limit': {
      if (op.each === undefined) return limiter.limit(keys, { cost: Math.min(op.cost, smallest) });
      const cost = Object.fromEntries(defs.map((def, i) => [def.name, Math.min(op.each?.[i] ?? 0, smallest)]));
      return limiter.limit(keys, { cost });
    }
    case 'peek':
      return limiter.peek(keys);
    case 'reset':
      return limiter.reset(keys);
    case 'refund':
      return limiter.refund(keys, { cost: Math.min(op.cost, smallest) });
  }
}

test('a burst of set requests in one job decides each as the same requests one at a time', async () => {
  const store = new RedisStore({ client: db.client('ioredis').client, expiryMarginMs: MARGIN_MS });
  let checked = 0;
  await fc.assert(
    fc.asyncProperty(setArb, startArb, opsArb(anyAdvanceArb, 40), async (defs, startMs, ops) => {
      const smallest = Math.min(...defs.map((def) => def.policy.limit));
      let now = startMs;
      const clock = (): number => now;
      const limiterOn = (prefix: string) =>
        new RateLimiter({
          limits: limitsOption(defs),
          store,
          clock,
          prefix,
          onStoreError: 'throw',
          timeoutMs: Number.POSITIVE_INFINITY,
        });
      const alone = limiterOn(`alone${prefixes}`);
      const burst = limiterOn(`burst${prefixes++}`);
      const expected: unknown[] = [];
      for (const op of ops) {
        now += op.advanceMs;
        expected.push(await start(alone, defs, op, smallest));
      }
      now = startMs;
      const started: Promise<unknown>[] = [];
      for (const op of ops) {
        now += op.advanceMs;
        started.push(start(burst, defs, op, smallest));
      }
      const got = await Promise.all(started);
      for (const [i, op] of ops.entries()) {
        assert.deepEqual(got[i], expected[i], `op ${i}: ${JSON.stringify(op)}`);
        checked++;
      }
      // And the state each leaves: a peek of every key choice at the last instant.
      for (const keys of ['a', 'b', 'c}{'] as const) {
        assert.deepEqual(
          await burst.peek(keysFor(defs, keys)),
          await alone.peek(keysFor(defs, keys)),
          `state of ${keys}`,
        );
      }
    }),
    { numRuns: RUNS },
  );
  assert.ok(checked > 500, `only ${checked} operations checked`);
});
