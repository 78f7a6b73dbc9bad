/**
 * The requests of one script call that share an instant add to a sliding
 * log's newest entry, which the script writes once (when it saves) instead
 * of once per admission. Until then the list's tail is stale: whatever reads
 * the list after such admissions in the same call (a denial counting entries
 * it has not read, a search past the oldest entry, a refund that rewrites the
 * running totals after the one it gives back) must see the entry as the
 * admissions left it. Each burst here is one script call (checked), and
 * decides like the memory store deciding the same calls one by one.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Decision, MemoryStore, RateLimiter, slidingLog } from '../../src/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { CLIENT_KINDS } from '../support/redis-clients.js';
import { redisFixture } from '../support/redis-fixture.js';
import { scriptCalls } from '../support/script-calls.js';

const db = redisFixture();
const T0 = 1_900_000_000_000;

/** One call of a burst, at `atMs` after T0. */
type Step =
  | { atMs: number; key: string; cost: number }
  | { atMs: number; key: string; refund: number /* index of an earlier burst's decision */ };

/** Makes every step of `burst` in one tick; the decisions (undefined for refunds) in step order. */
function fire(
  limiter: RateLimiter,
  burst: readonly Step[],
  earlier: readonly (Decision | undefined)[],
  setNow: (ms: number) => void,
): Promise<(Decision | undefined)[]> {
  return Promise.all(
    burst.map((step): Promise<Decision | undefined> => {
      setNow(T0 + step.atMs);
      if ('cost' in step) return limiter.limit(step.key, { cost: step.cost });
      const decision = earlier[step.refund];
      if (decision === undefined) throw new Error(`no decision ${step.refund}`);
      return limiter.refund(step.key, { cost: 1, decision }).then(() => undefined);
    }),
  );
}

// Limit 6 per 40 ms, one key per read that must see the newest entry. Burst 1
// leaves entries at 0 and 1 ms on a, e and b (totals 1 and 2). Burst 2 adds
// four units at 1 ms to each (the newest entry's total becomes 6 in the
// script, written later), then: on a, a denial at 10 ms that reads entry 2 to
// find its wait (it must count 6 there, not 2); on e, one at 40 ms, after
// entry 1 left the window, found by a search that reads entry 2; on b, a
// refund of the admission at 0 ms, which rewrites the totals after it; on c,
// admissions at 0 ms (added to its newest entry), then at 5 ms (a new entry
// pushed after it), then at 5 ms again (written when the script saves).
const BURSTS: readonly (readonly Step[])[] = [
  [
    { atMs: 0, key: 'a', cost: 1 },
    { atMs: 1, key: 'a', cost: 1 },
    { atMs: 0, key: 'e', cost: 1 },
    { atMs: 1, key: 'e', cost: 1 },
    { atMs: 0, key: 'b', cost: 1 },
    { atMs: 1, key: 'b', cost: 1 },
    { atMs: 0, key: 'c', cost: 1 },
  ],
  [
    { atMs: 1, key: 'a', cost: 4 },
    { atMs: 10, key: 'a', cost: 3 },
    { atMs: 1, key: 'e', cost: 4 },
    { atMs: 40, key: 'e', cost: 3 },
    { atMs: 1, key: 'b', cost: 4 },
    { atMs: 1, key: 'b', refund: 4 },
    { atMs: 2, key: 'b', cost: 1 },
    { atMs: 0, key: 'c', cost: 1 },
    { atMs: 0, key: 'c', cost: 1 },
    { atMs: 5, key: 'c', cost: 1 },
    { atMs: 5, key: 'c', cost: 1 },
  ],
];

for (const kind of CLIENT_KINDS) {
  test(`sliding log with ${kind}: reads after same-instant admissions in one script call see the newest entry`, async () => {
    const policy = slidingLog({ limit: 6, window: 40 });
    let now = T0;
    const clock = (): number => now;
    const setNow = (ms: number): void => {
      now = ms;
    };
    const prefix = `deferred-tail-${kind}`;
    const redis = new RateLimiter({
      policy,
      store: new RedisStore({ client: db.client(kind).client }),
      prefix,
      clock,
      onStoreError: 'throw',
      timeoutMs: Number.POSITIVE_INFINITY,
    });
    const memory = new RateLimiter({ policy, store: new MemoryStore(), prefix, clock });
    // Loads the script first, so each burst below is its one call.
    await redis.peek('warm-up');
    let redisEarlier: (Decision | undefined)[] = [];
    let memoryEarlier: (Decision | undefined)[] = [];
    for (const burst of BURSTS) {
      await db.admin.config('RESETSTAT');
      const actual = await fire(redis, burst, redisEarlier, setNow);
      assert.equal(scriptCalls(await db.admin.info('commandstats')), 1, 'the burst is one script call');
      const expected = await fire(memory, burst, memoryEarlier, setNow);
      assert.deepEqual(actual, expected);
      redisEarlier = actual;
      memoryEarlier = expected;
      for (const key of ['a', 'e', 'b', 'c']) {
        for (const atMs of [2, 10, 40, 41]) {
          setNow(T0 + atMs);
          assert.deepEqual(await redis.peek(key), await memory.peek(key), `${key} at ${atMs}`);
        }
      }
    }
    // The bursts reach the reads they are about: the denials on a and e.
    const denied = redisEarlier.filter((d) => d !== undefined && !d.allowed).length;
    assert.equal(denied, 2);
  });
}
