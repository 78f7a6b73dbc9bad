/**
 * The exporters count through sinks the limiter calls directly
 * (src/observe/recorders.ts): with only flowgate's exporters listening no
 * message is built or published; with anyone else listening as well, that
 * subscriber gets every message and nothing is counted twice; messages
 * other code publishes are still counted from the channel.
 */
import assert from 'node:assert/strict';
import { channel, subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterEach, test } from 'node:test';
import { Registry } from 'prom-client';
import {
  CHANNELS,
  type Decision,
  type DecisionEvent,
  fixedWindow,
  MemoryStore,
  RateLimiter,
  type Store,
} from '../../src/index.js';
import { type MetricsSubscription, registerMetrics } from '../../src/observe/prometheus.js';
import { parseExposition, sample } from '../support/metrics.js';

const subscriptions: MetricsSubscription[] = [];
afterEach(() => {
  for (const s of subscriptions.splice(0)) s.stop();
});

function registered(registry: Registry): void {
  subscriptions.push(registerMetrics(registry));
}

async function decisions(registry: Registry, limiter: string): Promise<Record<string, number>> {
  const samples = parseExposition(await registry.metrics());
  const out: Record<string, number> = {};
  for (const outcome of ['allowed', 'denied']) {
    out[outcome] = sample(samples, 'flowgate_decisions_total', { limiter, limit: 'default', outcome });
  }
  out.nearLimit = sample(samples, 'flowgate_near_limit_admissions_total', { limiter, limit: 'default' });
  return out;
}

async function limitEightTenRequests(name: string): Promise<void> {
  const limiter = new RateLimiter({ name, policy: fixedWindow({ limit: 8, window: '1m' }), clock: () => 0 });
  for (let i = 0; i < 10; i++) await limiter.limit('user:42');
}

test('only the exporters listen: no message is published, every decision is counted', async (t) => {
  const registry = new Registry();
  registered(registry);
  const publish = t.mock.method(channel(CHANNELS.decision), 'publish');
  await limitEightTenRequests('api');
  assert.equal(publish.mock.callCount(), 0);
  assert.deepEqual(await decisions(registry, 'api'), { allowed: 8, denied: 2, nearLimit: 2 });
});

test('someone else listens too: they get every message, and the exporters count each decision once', async () => {
  const registry = new Registry();
  registered(registry);
  const seen: DecisionEvent[] = [];
  const onMessage = (message: unknown): void => {
    seen.push(message as DecisionEvent);
  };
  subscribe(CHANNELS.decision, onMessage);
  try {
    await limitEightTenRequests('api');
  } finally {
    unsubscribe(CHANNELS.decision, onMessage);
  }
  assert.equal(seen.length, 10);
  assert.deepEqual(
    seen.map((e) => e.outcomes[0]),
    [...Array(8).fill('allowed'), 'denied', 'denied'],
  );
  assert.deepEqual(await decisions(registry, 'api'), { allowed: 8, denied: 2, nearLimit: 2 });
});

test('a limiter built before the exporter is counted from the exporter’s start, and no more after its stop', async () => {
  const limiter = new RateLimiter({ name: 'early', policy: fixedWindow({ limit: 8, window: '1m' }), clock: () => 0 });
  await limiter.limit('k');
  const registry = new Registry();
  const metrics = registerMetrics(registry);
  await limiter.limit('k');
  await limiter.limit('k');
  const counted = await decisions(registry, 'early');
  metrics.stop();
  await limiter.limit('k');
  assert.deepEqual(counted, { allowed: 2, denied: 0, nearLimit: 0 });
  // Started again on a fresh registry: the limiter binds to the new registration.
  const again = new Registry();
  registered(again);
  await limiter.limit('k');
  assert.deepEqual(await decisions(again, 'early'), { allowed: 1, denied: 0, nearLimit: 0 });
});

test('two registrations, one limiter: each counts it once', async () => {
  const [a, b] = [new Registry(), new Registry()];
  registered(a);
  registered(b);
  await limitEightTenRequests('both');
  assert.deepEqual(await decisions(a, 'both'), { allowed: 8, denied: 2, nearLimit: 2 });
  assert.deepEqual(await decisions(b, 'both'), { allowed: 8, denied: 2, nearLimit: 2 });
});

test('a decision event published by other code (another copy of flowgate) is counted from the channel', async () => {
  const registry = new Registry();
  registered(registry);
  const decision: Decision = {
    allowed: true,
    limit: 8,
    remaining: 0,
    resetMs: 0,
    retryAfterMs: 0,
    delayMs: 0,
    degraded: false,
    atMs: 0,
    spent: 1,
  };
  channel(CHANNELS.decision).publish({
    limiter: 'elsewhere',
    limits: ['default'],
    operation: 'limit',
    cost: 1,
    decision,
    outcomes: ['allowed'],
    storeMs: undefined,
    keys: () => ['k'],
  } satisfies DecisionEvent);
  assert.deepEqual(await decisions(registry, 'elsewhere'), { allowed: 1, denied: 0, nearLimit: 1 });
});

test('a decision the exporter cannot read changes nothing for the caller: one warning, counting goes on', async () => {
  const warnings: Error[] = [];
  const onWarning = (warning: Error): void => {
    warnings.push(warning);
  };
  process.on('warning', onWarning);
  // A store whose first decision throws when its remainder is read (only the near-limit count reads it).
  const memory = new MemoryStore();
  let first = true;
  const store: Store = {
    bind: (binding) => {
      const bound = memory.bind(binding);
      return {
        ...bound,
        limit: (...args: Parameters<typeof bound.limit>) => {
          const d = bound.limit(...args) as Decision;
          if (!first) return d;
          first = false;
          return Object.defineProperty({ ...d }, 'remaining', {
            get() {
              throw new Error('unreadable remainder');
            },
          });
        },
      };
    },
  };
  const registry = new Registry();
  registered(registry);
  try {
    const limiter = new RateLimiter({
      name: 'odd',
      policy: fixedWindow({ limit: 1, window: '1m' }),
      store,
      clock: () => 0,
    });
    const d = await limiter.limit('k');
    assert.equal(d.allowed, true);
    assert.equal((await limiter.limit('k')).allowed, false);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(warnings.filter((w) => (w as { code?: string }).code === 'FG_METRICS_MESSAGE_INVALID').length, 1);
    // The outcome was counted before the remainder was read; the next decision counts as usual.
    assert.deepEqual(await decisions(registry, 'odd'), { allowed: 1, denied: 1, nearLimit: 0 });
  } finally {
    process.off('warning', onWarning);
  }
});
