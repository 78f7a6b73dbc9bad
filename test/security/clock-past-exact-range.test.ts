/**
 * Attack: a clock past the range where flowgate counts exactly. A token
 * bucket of 2 ticks per ms (2000 units a second) counts its state in ticks
 * from 2026; at a clock of about 2^52 ms that count passed 2^53: Redis
 * wrote a state that it then refused as foreign (every later request on the
 * key failed), and the memory store decided on rounded doubles. NaN, an
 * infinity or a reading far below zero (a parse error, a unit gone wrong)
 * reached the policies too. Every store now rejects such a reading
 * with a RangeError that names it and the range, whatever `onStoreError`
 * says, and decides exactly up to the range's last instant.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clockRange } from '../../src/clock-range.js';
import { MemoryStore, RateLimiter, type Store, slidingLog, tokenBucket } from '../../src/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { redisFixture } from '../support/redis-fixture.js';

const db = redisFixture();

// 2000 units a second: an interval of half a ms, 2 ticks per ms.
const policy = tokenBucket({ capacity: 10, refillPerSecond: 2000 });
const RANGE = clockRange([{ name: 'default', policy, shadow: false } as never]);
const LATEST = RANGE.latest;
let run = 0;

const STORES: Record<string, () => Store> = {
  memory: () => new MemoryStore(),
  redis: () => new RedisStore({ client: db.client('ioredis').client }),
};

describe('a token bucket at the edge of the exact range', () => {
  test('the range ends past 2^52 ms and before 2^52 + the tick epoch', () => {
    assert.ok(LATEST > 2 ** 52 && LATEST < 2 ** 52 + 1_767_225_600_000, String(LATEST));
  });
  for (const [name, store] of Object.entries(STORES)) {
    test(`${name}: decided exactly at the range's last instant, and read back`, async () => {
      const limiter = new RateLimiter({ policy, store: store(), clock: () => LATEST, prefix: `edge${run++}` });
      for (let i = 9; i >= 0; i--) assert.equal((await limiter.limit('k')).remaining, i);
      const denied = await limiter.limit('k');
      assert.equal(denied.allowed, false);
      assert.equal(denied.retryAfterMs, 1);
      assert.notEqual(denied.degraded, true);
    });
    for (const reading of [LATEST + 1, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY, RANGE.earliest - 1]) {
      test(`${name}: a clock reading ${reading} is refused, naming it and the range`, async () => {
        let now = LATEST;
        // onStoreError 'allow' (the default): still refused, not answered by the failure policy.
        const limiter = new RateLimiter({ policy, store: store(), clock: () => now, prefix: `edge${run++}` });
        const admitted = await limiter.limit('k');
        now = reading;
        const refused = (error: unknown) => {
          assert.ok(error instanceof RangeError, String(error));
          assert.equal((error as { code?: string }).code, 'FG_CLOCK_OUT_OF_RANGE');
          assert.ok((error as Error).message.includes(`read ${reading};`), (error as Error).message);
          assert.ok((error as Error).message.includes(`from ${RANGE.earliest} to ${LATEST}`), (error as Error).message);
          return true;
        };
        await assert.rejects(limiter.limit('k'), refused);
        await assert.rejects(limiter.peek('k'), refused);
        await assert.rejects(limiter.refund('k', { decision: admitted }), refused);
        // Back in range: the key is as the admission left it (nothing was written): a cost-1 request would leave 8.
        now = LATEST;
        assert.equal((await limiter.peek('k')).remaining, 8);
      });
    }
  }
});

test('a window keeps an instant plus the window below 2^53', async () => {
  const window = slidingLog({ limit: 3, window: '1h' });
  const { earliest, latest } = clockRange([{ name: 'default', policy: window, shadow: false } as never]);
  assert.deepEqual([earliest, latest], [-(2 ** 53 - 1) + 3_600_000, 2 ** 53 - 1 - 3_600_000]);
  for (const [name, store] of Object.entries(STORES)) {
    let now: number = latest;
    const limiter: RateLimiter = new RateLimiter({
      policy: window,
      store: store(),
      clock: () => now,
      prefix: `window${run++}`,
    });
    assert.equal((await limiter.limit('k')).remaining, 2, name);
    assert.equal((await limiter.limit('k')).remaining, 1, name);
    now = latest + 1;
    await assert.rejects(limiter.limit('k'), /FG_CLOCK_OUT_OF_RANGE/, name);
    // Behind the stored state, within the range: decided as at the stored instant.
    now = earliest;
    assert.equal((await limiter.limit('k')).remaining, 0, name);
    now = earliest - 1;
    await assert.rejects(limiter.limit('k'), /FG_CLOCK_OUT_OF_RANGE/, name);
  }
});
