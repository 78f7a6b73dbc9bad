/**
 * Failure users could not see: RedisStore swallows the client's 'error'
 * events, so a node-redis client that was never connect()ed switched rate
 * limiting off for good without a word. The first decision made by the
 * failure policy is logged once (and published as a health event), every
 * failure is a store-error event, and the recovery is logged once.
 */
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { test } from 'node:test';
import { createClient } from 'redis';
import { CHANNELS, type HealthEvent, RateLimiter, type StoreErrorEvent, tokenBucket } from '../../src/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { redisFixture } from '../support/redis-fixture.js';

const db = redisFixture();

test('a node-redis client never connected: one outage line, events for each failure, one recovery line', async () => {
  const lines: string[] = [];
  const logger = { warn: (m: string) => lines.push(`warn ${m}`), error: (m: string) => lines.push(`error ${m}`) };
  const health: HealthEvent[] = [];
  const errors: StoreErrorEvent[] = [];
  const onHealth = (m: unknown) => health.push(m as HealthEvent);
  const onError = (m: unknown) => errors.push(m as StoreErrorEvent);
  subscribe(CHANNELS.health, onHealth);
  subscribe(CHANNELS.storeError, onError);
  const client = createClient({ url: db.server.url });
  try {
    const limiter = new RateLimiter({
      name: 'api',
      policy: tokenBucket({ capacity: 10, refillPerSecond: 1 }),
      store: new RedisStore({ client }),
      logger,
    });
    for (let i = 0; i < 5; i++) {
      const d = await limiter.limit('k');
      assert.deepEqual([d.allowed, d.degraded], [true, true], 'fails open, and says so on the decision');
    }
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(
      lines[0] as string,
      /^error flowgate: limiter "api": the store failed \(.*closed.*\).*onStoreError 'allow'.*FG_STORE_DEGRADED/,
    );
    assert.deepEqual(
      health.map((h) => [h.limiter, h.healthy]),
      [['api', false]],
    );
    assert.equal(errors.length, 5);
    assert.ok(errors.every((e) => e.limiter === 'api' && e.kind === 'error' && e.operation === 'limit'));

    await client.connect();
    const real = await limiter.limit('k');
    assert.equal(real.degraded, false);
    await limiter.limit('k');
    assert.equal(lines.length, 2, lines.join('\n'));
    assert.match(
      lines[1] as string,
      /^warn flowgate: limiter "api": the store answers again after \d+ ms; 5 calls .*FG_STORE_RECOVERED/,
    );
    assert.deepEqual(
      health.map((h) => [h.healthy, h.degradedDecisions]),
      [
        [false, undefined],
        [true, 5],
      ],
    );
  } finally {
    unsubscribe(CHANNELS.health, onHealth);
    unsubscribe(CHANNELS.storeError, onError);
    if (client.isOpen) client.destroy();
  }
});
