/**
 * Shadow mode as the metrics count it: a limit in `mode: 'shadow'` never
 * denies, and what it would have denied is counted as `shadow_denied` — on a
 * shadow limiter and on the shadow limit of a set, with MemoryStore and with
 * Redis (both clients). Limit 8, 10 requests: 8 allowed, 2 shadow_denied.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { Registry } from 'prom-client';
import { fixedWindow, MemoryStore, RateLimiter, type Store } from '../../src/index.js';
import { METRIC_NAMES, type MetricsSubscription, registerMetrics } from '../../src/observe/prometheus.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { parseExposition, sample } from '../support/metrics.js';
import { redisFixture } from '../support/redis-fixture.js';

const db = redisFixture();
let metrics: MetricsSubscription | undefined;
afterEach(() => {
  metrics?.stop();
  metrics = undefined;
});

const stores: [string, () => Store][] = [
  ['MemoryStore', () => new MemoryStore()],
  ['Redis (ioredis)', () => new RedisStore({ client: db.client('ioredis').client })],
  ['Redis (node-redis)', () => new RedisStore({ client: db.client('node-redis').client })],
];

for (const [label, store] of stores) {
  test(`${label}: shadow_denied on a shadow limiter and on one limit of a set`, async () => {
    const registry = new Registry();
    metrics = registerMetrics(registry);
    const prefix = `shadow-${label.replace(/\W/g, '')}-${Date.now()}`;
    const shadow = new RateLimiter({
      name: 'shadow',
      prefix: `${prefix}-limiter`,
      policy: fixedWindow({ limit: 8, window: '1h' }),
      mode: 'shadow',
      store: store(),
      clock: () => 0,
    });
    const set = new RateLimiter({
      name: 'set',
      prefix: `${prefix}-set`,
      limits: {
        enforced: fixedWindow({ limit: 100, window: '1h' }),
        trial: { policy: fixedWindow({ limit: 8, window: '1h' }), mode: 'shadow' },
      },
      store: store(),
      clock: () => 0,
    });
    for (let i = 0; i < 10; i++) {
      const alone = await shadow.limit('user:42');
      const both = await set.limit('user:42');
      assert.deepEqual([alone.allowed, alone.shadowDenied], [true, i >= 8]);
      assert.deepEqual([both.allowed, both.shadowDenied], [true, i >= 8]);
    }
    const samples = parseExposition(await registry.metrics());
    const count = (limiter: string, limit: string, outcome: string) =>
      sample(samples, METRIC_NAMES.decisions, { limiter, limit, outcome });
    assert.deepEqual([count('shadow', 'default', 'allowed'), count('shadow', 'default', 'shadow_denied')], [8, 2]);
    assert.deepEqual([count('set', 'trial', 'allowed'), count('set', 'trial', 'shadow_denied')], [8, 2]);
    assert.deepEqual([count('set', 'enforced', 'allowed'), count('set', 'enforced', 'denied')], [10, 0]);
    for (const limiter of ['shadow', 'set']) {
      for (const limit of limiter === 'set' ? ['enforced', 'trial'] : ['default']) {
        assert.equal(count(limiter, limit, 'denied'), 0, `${limiter}/${limit}: a shadow limit never denies`);
      }
    }
    // The shadow limits' last two admissions left 1 and 0 of 8.
    assert.equal(sample(samples, METRIC_NAMES.nearLimit, { limiter: 'shadow', limit: 'default' }), 2);
    assert.equal(sample(samples, METRIC_NAMES.nearLimit, { limiter: 'set', limit: 'trial' }), 2);
  });
}
