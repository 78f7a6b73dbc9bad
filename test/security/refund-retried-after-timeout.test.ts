/**
 * Attack (fault): a refund times out, is retried, and gives back twice. What
 * a refund gives back is taken from its decision's ledger before the store
 * call and put back if the call fails, so that a failed refund can be sent
 * again. A timeout is not a failure: the script may have run in time and
 * only its reply be late (a slow network, a busy client). The ledger was
 * put back at once, so the application's retry (onStoreError 'throw' says
 * the refund failed) gave the units back a second time: capacity that no
 * admission had spent. Now a timed-out refund keeps its units taken until
 * the store's answer comes: put back only if that answer is a failure.
 *
 * No wall-clock band: the reply is held until the limiter has given up, then
 * released; the outcome is exact. The admissions and peeks go through a
 * limiter without a timeout on the same state (same prefix and policy), so
 * that only the held refund can time out.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { fixedWindow, RateLimiter } from '../../src/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { type RedisServer, startRedis } from '../support/redis-server.js';

const DAY_MS = 86_400_000;
let server: RedisServer;
let io: Redis;

before(async () => {
  server = await startRedis();
  io = new Redis(server.url);
});

after(async () => {
  io.disconnect();
  await server.stop();
});

/** A limiter on the state of `refunder` (same prefix and policy) that never times out, for set-up and peeks. */
function observer(prefix: string): RateLimiter {
  return new RateLimiter({
    policy: fixedWindow({ limit: 20, window: DAY_MS }),
    store: new RedisStore({ client: io }),
    prefix,
    clock: () => 1_000,
    onStoreError: 'throw',
  });
}

/** A client over `io` whose replies can be held back (the command itself goes to Redis at once). */
function holdingClient() {
  let hold: Promise<void> | undefined;
  let release = (): void => {};
  const held: Promise<unknown>[] = [];
  return {
    client: {
      sendCommand(args: string[]): Promise<unknown> {
        const reply = io.call(args[0] as string, ...args.slice(1));
        if (hold === undefined) return reply;
        const gate = hold;
        const late = reply.then(async (answer) => {
          await gate;
          return answer;
        });
        held.push(late.catch(() => {}));
        return late;
      },
    },
    hold(): void {
      hold = new Promise((resolve) => {
        release = resolve;
      });
    },
    /** Lets every held reply through and waits until each has reached its caller. */
    async release(): Promise<void> {
      hold = undefined;
      release();
      await Promise.all(held);
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

for (const onStoreError of ['throw', 'allow'] as const) {
  test(`a refund whose reply comes after timeoutMs, retried (onStoreError '${onStoreError}'), gives back once`, async () => {
    const redis = holdingClient();
    const prefix = `refund-retried-${onStoreError}`;
    const limiter = new RateLimiter({
      policy: fixedWindow({ limit: 20, window: DAY_MS }),
      store: new RedisStore({ client: redis.client }),
      prefix,
      clock: () => 1_000,
      timeoutMs: 1000,
      onStoreError,
      logger: false,
    });
    const observed = observer(prefix);
    await observed.limit('k');
    const mine = await observed.limit('k');
    assert.equal(mine.remaining, 18);
    // A first answer in time, so the store knows the server's clock from more than the late reply.
    await limiter.peek('k');
    redis.hold();
    const refund = limiter.refund('k', { decision: mine });
    if (onStoreError === 'throw') await assert.rejects(refund, { code: 'FG_STORE_TIMEOUT' });
    else await refund;
    await redis.release();
    // The late refund did run: one unit back (a peek reports what is left after a cost-1 request).
    assert.equal((await observed.peek('k')).remaining, 18);
    await limiter.refund('k', { decision: mine });
    assert.equal((await observed.peek('k')).remaining, 18, 'the retried refund gave the unit back a second time');
  });
}

test('a refund whose late answer is a failure can still be sent again', async () => {
  const redis = holdingClient();
  const prefix = 'refund-late-failure';
  const limiter = new RateLimiter({
    policy: fixedWindow({ limit: 20, window: DAY_MS }),
    store: new RedisStore({ client: redis.client }),
    prefix,
    clock: () => 1_000,
    timeoutMs: 1000,
    onStoreError: 'throw',
    logger: false,
  });
  const observed = observer(prefix);
  await observed.limit('k');
  const mine = await observed.limit('k');
  const [key] = await io.keys(`*${prefix}*`);
  assert.ok(key !== undefined);
  const saved = await io.dumpBuffer(key);
  // A value of the wrong type: the held refund fails in Redis, applying nothing.
  await io.del(key);
  await io.lpush(key, 'x');
  await limiter.peek('other');
  redis.hold();
  await assert.rejects(limiter.refund('k', { decision: mine }), { code: 'FG_STORE_TIMEOUT' });
  await redis.release();
  await io.del(key);
  await io.restore(key, 0, saved);
  await limiter.refund('k', { decision: mine });
  assert.equal((await observed.peek('k')).remaining, 18, 'the refund after a failed one gave nothing back');
});
