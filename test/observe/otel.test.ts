/**
 * flowgate/otel against the OpenTelemetry SDK and its in-memory exporter: a
 * scripted trace on an injected clock, and exactly its counts exported.
 */
import assert from 'node:assert/strict';
import { channel } from 'node:diagnostics_channel';
import { afterEach, beforeEach, test } from 'node:test';
import { DataPointType } from '@opentelemetry/sdk-metrics';
import { CHANNELS, FlowgateConfigError, fixedWindow, RateLimiter } from '../../src/index.js';
import { type MetricsSubscription, recordMetrics } from '../../src/observe/otel.js';
import { delayedStore, histograms, type OtelHarness, otelHarness, sums } from '../support/metrics.js';

const OUTCOME = ['flowgate.limiter', 'flowgate.limit', 'flowgate.outcome'];
const LIMIT = ['flowgate.limiter', 'flowgate.limit'];
const KIND = ['flowgate.limiter', 'error.type'];

let otel: OtelHarness;
let metrics: MetricsSubscription | undefined;
beforeEach(() => {
  otel = otelHarness();
});
afterEach(async () => {
  metrics?.stop();
  metrics = undefined;
  await otel.shutdown();
});

/** A new limiter `name` (its own MemoryStore), limit 8 on a clock that stands still: 10 requests, 8 admitted, 2 denied. */
async function scriptedTrace(name: string): Promise<void> {
  const limiter = new RateLimiter({ name, policy: fixedWindow({ limit: 8, window: '1m' }), clock: () => 1_000_000 });
  for (let i = 0; i < 10; i++) await limiter.limit('user:42');
}

test('limit 8, 10 requests: exactly 8 allowed, 2 denied, and the near-limit admissions', async () => {
  metrics = recordMetrics(otel.provider);
  const limiter = new RateLimiter({ name: 'api', policy: fixedWindow({ limit: 8, window: '1m' }), clock: () => 0 });
  const allowed: boolean[] = [];
  for (let i = 0; i < 10; i++) allowed.push((await limiter.limit('user:42')).allowed);
  assert.deepEqual(allowed, [...Array(8).fill(true), false, false]);
  const exported = await otel.collect();

  assert.deepEqual(sums(exported.get('flowgate.decisions'), OUTCOME), {
    'api/default/allowed': 8,
    'api/default/denied': 2,
    'api/default/shadow_denied': 0,
    'api/default/degraded_allowed': 0,
    'api/default/degraded_denied': 0,
  });
  // The default share is 20%: remaining < 1.6, the admissions that left 1 and 0.
  assert.deepEqual(sums(exported.get('flowgate.near_limit.admissions'), LIMIT), { 'api/default': 2 });
  assert.deepEqual(sums(exported.get('flowgate.store.errors'), KIND), {
    'api/timeout': 0,
    'api/late': 0,
    'api/overloaded': 0,
    'api/request': 0,
    'api/error': 0,
  });
  // MemoryStore decides in-process: no store call to time.
  assert.deepEqual(histograms(exported.get('flowgate.store.duration'), 'flowgate.limiter'), {});
});

test('the near-limit share is configurable: 50% of 8 counts the admissions that left 3, 2, 1 and 0', async () => {
  metrics = recordMetrics(otel.provider, { nearLimitShare: 0.5 });
  const limiter = new RateLimiter({ name: 'api', policy: fixedWindow({ limit: 8, window: '1m' }), clock: () => 0 });
  for (let i = 0; i < 10; i++) await limiter.limit('k');
  assert.deepEqual(sums((await otel.collect()).get('flowgate.near_limit.admissions'), LIMIT), { 'api/default': 4 });
});

test('counts are cumulative and exact across collections, per limiter', async () => {
  metrics = recordMetrics(otel.provider);
  await scriptedTrace('a');
  const first = await otel.collect();
  await scriptedTrace('b');
  await scriptedTrace('a');
  const second = await otel.collect();
  const decisions = (m: Map<string, unknown>) =>
    Object.fromEntries(
      Object.entries(sums(m.get('flowgate.decisions') as never, OUTCOME)).filter(([id]) =>
        /\/(allowed|denied)$/.test(id),
      ),
    );
  assert.deepEqual(decisions(first), { 'a/default/allowed': 8, 'a/default/denied': 2 });
  // Two limiters named 'a' count as one.
  assert.deepEqual(decisions(second), {
    'a/default/allowed': 16,
    'a/default/denied': 4,
    'b/default/allowed': 8,
    'b/default/denied': 2,
  });
});

test('descriptors: names, units, types; attributes are limiter, limit, outcome and error.type, never a key', async () => {
  metrics = recordMetrics(otel.provider);
  const store = delayedStore(5);
  const limiter = new RateLimiter({ name: 'api', policy: fixedWindow({ limit: 8, window: '1m' }), store });
  await limiter.limit('secret-user-key');
  const exported = await otel.collect();
  const described = [...exported.values()].map((m) => [m.descriptor.name, m.descriptor.unit, m.dataPointType]).sort();
  assert.deepEqual(described, [
    ['flowgate.decisions', '{decision}', DataPointType.SUM],
    ['flowgate.near_limit.admissions', '{admission}', DataPointType.SUM],
    ['flowgate.store.duration', 's', DataPointType.HISTOGRAM],
    ['flowgate.store.errors', '{error}', DataPointType.SUM],
  ]);
  for (const metric of exported.values()) {
    if (metric.dataPointType === DataPointType.SUM) assert.equal(metric.isMonotonic, true, metric.descriptor.name);
    for (const point of metric.dataPoints) {
      const keys = Object.keys(point.attributes).sort();
      assert.ok(
        [OUTCOME, LIMIT, KIND, ['flowgate.limiter']].some((set) => [...set].sort().join() === keys.join()),
        `${metric.descriptor.name}: ${keys}`,
      );
    }
  }
  assert.doesNotMatch(JSON.stringify([...exported.values()]), /secret-user-key/);
  const duration = histograms(exported.get('flowgate.store.duration'), 'flowgate.limiter').api;
  assert.equal(duration?.count, 1, 'one store call, timed');
  assert.deepEqual(
    duration?.boundaries,
    [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
  );
  // Positive, not >= 5 ms: a timer may fire a fraction of a millisecond early by performance.now's clock.
  assert.ok((duration?.sum ?? 0) > 0, `the delayed store call was timed: ${duration?.sum} s`);
});

test('shadow mode: shadow_denied on a shadow limiter and on the shadow limit of a set', async () => {
  metrics = recordMetrics(otel.provider);
  const shadow = new RateLimiter({
    name: 'shadow',
    policy: fixedWindow({ limit: 8, window: '1m' }),
    mode: 'shadow',
    clock: () => 0,
  });
  const set = new RateLimiter({
    name: 'set',
    limits: {
      enforced: fixedWindow({ limit: 100, window: '1m' }),
      trial: { policy: fixedWindow({ limit: 8, window: '1m' }), mode: 'shadow' },
    },
    clock: () => 0,
  });
  for (let i = 0; i < 10; i++) {
    assert.equal((await shadow.limit('k')).allowed, true, 'a shadow limiter never denies');
    assert.equal((await set.limit('k')).allowed, true, 'a shadow limit never denies');
  }
  const exported = await otel.collect();
  const decisions = sums(exported.get('flowgate.decisions'), OUTCOME);
  assert.deepEqual(Object.fromEntries(Object.entries(decisions).filter(([, v]) => v > 0)), {
    'shadow/default/allowed': 8,
    'shadow/default/shadow_denied': 2,
    'set/enforced/allowed': 10,
    'set/trial/allowed': 8,
    'set/trial/shadow_denied': 2,
  });
  // Near the limit: the shadow limits' last two admissions; the enforced limit of 100 is far from it.
  assert.deepEqual(sums(exported.get('flowgate.near_limit.admissions'), LIMIT), {
    'shadow/default': 2,
    'set/enforced': 0,
    'set/trial': 2,
  });
});

test('peeks are not decisions: not counted', async () => {
  metrics = recordMetrics(otel.provider);
  const limiter = new RateLimiter({ name: 'api', policy: fixedWindow({ limit: 1, window: '1m' }), clock: () => 0 });
  await limiter.peek('k');
  await limiter.limit('k');
  await limiter.peek('k');
  const decisions = sums((await otel.collect()).get('flowgate.decisions'), OUTCOME);
  assert.equal(decisions['api/default/allowed'], 1);
  assert.equal(decisions['api/default/denied'], 0);
});

test('a Meter works as well as a MeterProvider; limiters filters by name', async () => {
  metrics = recordMetrics(otel.provider.getMeter('my-app'), { limiters: ['kept'] });
  await scriptedTrace('kept');
  await scriptedTrace('dropped');
  const decisions = sums((await otel.collect()).get('flowgate.decisions'), OUTCOME);
  assert.equal(decisions['kept/default/allowed'], 8);
  assert.ok(!Object.keys(decisions).some((id) => id.startsWith('dropped')), Object.keys(decisions).join());
});

test('stop(): unsubscribed, and the counters are reported no more', async () => {
  metrics = recordMetrics(otel.provider);
  assert.equal(channel(CHANNELS.decision).hasSubscribers, true);
  await scriptedTrace('api');
  metrics.stop();
  metrics.stop();
  assert.equal(channel(CHANNELS.decision).hasSubscribers, false);
  assert.equal(channel(CHANNELS.storeError).hasSubscribers, false);
  await scriptedTrace('api');
  const exported = await otel.collect();
  assert.equal(exported.get('flowgate.decisions')?.dataPoints.length ?? 0, 0);
});

test('invalid arguments: every mistake at once, with codes', () => {
  assert.throws(
    () => recordMetrics({} as never, { nearLimitShare: 0, limiters: 'api' as never, durationBuckets: [1, 0.5] }),
    (error: unknown) => {
      assert.ok(error instanceof FlowgateConfigError);
      assert.deepEqual(
        error.issues.map((i) => i.code),
        [
          'FG_METER_INVALID',
          'FG_NEAR_LIMIT_SHARE_INVALID',
          'FG_METRICS_LIMITERS_INVALID',
          'FG_DURATION_BUCKETS_INVALID',
        ],
      );
      return true;
    },
  );
  assert.throws(() => recordMetrics(otel.provider, { nearLimitShare: 1.5 }), /FG_NEAR_LIMIT_SHARE_INVALID/);
  assert.throws(() => recordMetrics(otel.provider, { nearLimitShares: 0.1 } as never), /did you mean nearLimitShare/);
  assert.equal(channel(CHANNELS.decision).hasSubscribers, false, 'nothing subscribed by a failed call');
});
