/**
 * flowgate/prometheus on prom-client registries: the exposition of a
 * scripted trace, exactly, accepted by `promtool check metrics`; registries
 * side by side; what registering twice does.
 */
import assert from 'node:assert/strict';
import { channel } from 'node:diagnostics_channel';
import { afterEach, test } from 'node:test';
import {
  register as globalRegistry,
  type OpenMetricsContentType,
  openMetricsContentType,
  Registry,
  type RegistryContentType,
} from 'prom-client';
import { CHANNELS, FlowgateConfigError, fixedWindow, RateLimiter } from '../../src/index.js';
import { METRIC_NAMES, type MetricsSubscription, registerMetrics } from '../../src/observe/prometheus.js';
import { delayedStore, parseExposition, promtool, sample } from '../support/metrics.js';

const subscriptions: MetricsSubscription[] = [];
function registered(
  registry: Registry<RegistryContentType>,
  options?: Parameters<typeof registerMetrics>[1],
): MetricsSubscription {
  const subscription = registerMetrics(registry, options);
  subscriptions.push(subscription);
  return subscription;
}
afterEach(() => {
  for (const s of subscriptions.splice(0)) s.stop();
});

async function limitEightTenRequests(name: string): Promise<boolean[]> {
  const limiter = new RateLimiter({ name, policy: fixedWindow({ limit: 8, window: '1m' }), clock: () => 0 });
  const allowed: boolean[] = [];
  for (let i = 0; i < 10; i++) allowed.push((await limiter.limit('user:42')).allowed);
  return allowed;
}

const BUCKETS = [
  '0.0001',
  '0.00025',
  '0.0005',
  '0.001',
  '0.0025',
  '0.005',
  '0.01',
  '0.025',
  '0.05',
  '0.1',
  '0.25',
  '0.5',
  '1',
  '+Inf',
];

test('limit 8, 10 requests: the exposition, exactly', async () => {
  const registry = new Registry();
  registered(registry);
  assert.deepEqual(await limitEightTenRequests('api'), [...Array(8).fill(true), false, false]);
  const expected = `# HELP flowgate_decisions_total Rate-limit decisions, one per limit of each limit() call, by limiter, limit and outcome.
# TYPE flowgate_decisions_total counter
flowgate_decisions_total{limiter="api",limit="default",outcome="allowed"} 8
flowgate_decisions_total{limiter="api",limit="default",outcome="denied"} 2
flowgate_decisions_total{limiter="api",limit="default",outcome="shadow_denied"} 0
flowgate_decisions_total{limiter="api",limit="default",outcome="degraded_allowed"} 0
flowgate_decisions_total{limiter="api",limit="default",outcome="degraded_denied"} 0

# HELP flowgate_near_limit_admissions_total Admissions that left less than 0.2 of a limit's units, by limiter and limit.
# TYPE flowgate_near_limit_admissions_total counter
flowgate_near_limit_admissions_total{limiter="api",limit="default"} 2

# HELP flowgate_store_duration_seconds How long each call to a limiter's store took to answer, in seconds, by limiter.
# TYPE flowgate_store_duration_seconds histogram
${BUCKETS.map((le) => `flowgate_store_duration_seconds_bucket{limiter="api",le="${le}"} 0`).join('\n')}
flowgate_store_duration_seconds_sum{limiter="api"} 0
flowgate_store_duration_seconds_count{limiter="api"} 0

# HELP flowgate_store_errors_total Store errors and timeouts, each answered by onStoreError, by limiter and kind.
# TYPE flowgate_store_errors_total counter
flowgate_store_errors_total{limiter="api",kind="timeout"} 0
flowgate_store_errors_total{limiter="api",kind="late"} 0
flowgate_store_errors_total{limiter="api",kind="overloaded"} 0
flowgate_store_errors_total{limiter="api",kind="request"} 0
flowgate_store_errors_total{limiter="api",kind="error"} 0
`;
  const exposition = await registry.metrics();
  assert.equal(exposition, expected);
  const check = promtool(exposition);
  assert.equal(check.status, 0, check.output);
  assert.equal(check.output, '', 'promtool found nothing to lint');
});

test('promtool accepts a busy exposition: sets, shadow limits, timed store calls, odd limiter names', async () => {
  const registry = new Registry();
  registered(registry);
  const set = new RateLimiter({
    name: 'checkout "v2"\\eu',
    limits: {
      perUser: fixedWindow({ limit: 3, window: '1m' }),
      trial: { policy: fixedWindow({ limit: 1, window: '1m' }), mode: 'shadow' },
    },
    store: delayedStore(2),
    clock: () => 0,
  });
  for (let i = 0; i < 5; i++) await set.limit('u1');
  const exposition = await registry.metrics();
  const check = promtool(exposition);
  assert.equal(check.status, 0, `${check.output}\n${exposition}`);
  assert.equal(check.output, '');
  const samples = parseExposition(exposition);
  const limiter = 'checkout "v2"\\eu';
  assert.equal(sample(samples, METRIC_NAMES.decisions, { limiter, limit: 'perUser', outcome: 'allowed' }), 3);
  assert.equal(sample(samples, METRIC_NAMES.decisions, { limiter, limit: 'perUser', outcome: 'denied' }), 2);
  // The shadow limit admitted the first request; on the two the set denied it reports its own denial too.
  assert.equal(sample(samples, METRIC_NAMES.decisions, { limiter, limit: 'trial', outcome: 'allowed' }), 1);
  assert.equal(sample(samples, METRIC_NAMES.decisions, { limiter, limit: 'trial', outcome: 'shadow_denied' }), 4);
  assert.equal(sample(samples, `${METRIC_NAMES.storeDuration}_count`, { limiter }), 5);
  assert.ok(sample(samples, `${METRIC_NAMES.storeDuration}_sum`, { limiter }) >= 0.01, 'five calls of 2 ms each');
  // Cumulative buckets: nothing at or below 1 ms (each call waited 2 ms), everything by +Inf.
  assert.equal(sample(samples, `${METRIC_NAMES.storeDuration}_bucket`, { limiter, le: '0.001' }), 0);
  assert.equal(sample(samples, `${METRIC_NAMES.storeDuration}_bucket`, { limiter, le: '+Inf' }), 5);
  const buckets = BUCKETS.map((le) => sample(samples, `${METRIC_NAMES.storeDuration}_bucket`, { limiter, le }));
  assert.deepEqual(
    buckets,
    [...buckets].sort((a, b) => a - b),
    'cumulative',
  );
  // Only these labels, ever: no key.
  for (const s of samples) {
    for (const label of Object.keys(s.labels))
      assert.ok(['limiter', 'limit', 'outcome', 'kind', 'le'].includes(label), label);
  }
  assert.doesNotMatch(exposition, /u1/);
});

test('two registries, two registrations, two limiters: each registry counts its own limiter', async () => {
  const one = new Registry();
  const two = new Registry();
  registered(one, { limiters: ['checkout'] });
  registered(two, { limiters: ['search'], nearLimitShare: 0.5 });
  await limitEightTenRequests('checkout');
  await limitEightTenRequests('search');
  await limitEightTenRequests('search');
  const a = parseExposition(await one.metrics());
  const b = parseExposition(await two.metrics());
  assert.equal(sample(a, METRIC_NAMES.decisions, { limiter: 'checkout', outcome: 'allowed' }), 8);
  assert.equal(sample(b, METRIC_NAMES.decisions, { limiter: 'search', outcome: 'allowed' }), 16);
  assert.equal(sample(b, METRIC_NAMES.decisions, { limiter: 'search', outcome: 'denied' }), 4);
  assert.equal(sample(b, METRIC_NAMES.nearLimit, { limiter: 'search' }), 8, '50% of 8: 3, 2, 1 and 0 left, twice');
  assert.ok(!a.some((s) => s.labels.limiter === 'search'));
  assert.ok(!b.some((s) => s.labels.limiter === 'checkout'));
  // Without `limiters`, a registration counts every limiter.
  const all = new Registry();
  registered(all);
  await limitEightTenRequests('checkout');
  await limitEightTenRequests('search');
  const c = parseExposition(await all.metrics());
  assert.deepEqual([...new Set(c.map((s) => s.labels.limiter))].sort(), ['checkout', 'search']);
});

test('never the global default registry', async () => {
  registered(new Registry());
  await limitEightTenRequests('api');
  assert.doesNotMatch(await globalRegistry.metrics(), /flowgate/);
});

test('registering twice on one registry throws FG_METRICS_ALREADY_REGISTERED and changes nothing', async () => {
  const registry = new Registry();
  const first = registered(registry);
  assert.throws(
    () => registerMetrics(registry),
    (error: unknown) => {
      assert.ok(error instanceof FlowgateConfigError);
      assert.equal(error.code, 'FG_METRICS_ALREADY_REGISTERED');
      assert.match(error.message, /flowgate_decisions_total.*stop\(\)/);
      return true;
    },
  );
  await limitEightTenRequests('api');
  // Counted once, by the first registration.
  assert.equal(sample(parseExposition(await registry.metrics()), METRIC_NAMES.decisions, { outcome: 'allowed' }), 8);
  // A name of flowgate's taken by another metric is refused as well.
  const other = new Registry();
  other.registerMetric({ name: METRIC_NAMES.storeErrors, get: async () => ({}) } as never);
  assert.throws(() => registerMetrics(other), /flowgate_store_errors_total/);

  // After stop(), the registry is free again; the new registration starts from zero.
  first.stop();
  assert.equal(await registry.metrics(), '\n');
  registered(registry);
  await limitEightTenRequests('api');
  assert.equal(sample(parseExposition(await registry.metrics()), METRIC_NAMES.decisions, { outcome: 'allowed' }), 8);
});

test('stop() unsubscribes; resetMetrics() zeroes the counts', async () => {
  const registry = new Registry();
  const metrics = registered(registry);
  await limitEightTenRequests('api');
  registry.resetMetrics();
  const zeroed = parseExposition(await registry.metrics());
  assert.ok(zeroed.length > 0 && zeroed.every((s) => s.value === 0));
  await limitEightTenRequests('api');
  assert.equal(sample(parseExposition(await registry.metrics()), METRIC_NAMES.decisions, { outcome: 'denied' }), 2);
  metrics.stop();
  assert.equal(channel(CHANNELS.decision).hasSubscribers, false);
  assert.equal(channel(CHANNELS.storeError).hasSubscribers, false);
  assert.deepEqual(
    Object.values(METRIC_NAMES).map((name) => registry.getSingleMetric(name)),
    [undefined, undefined, undefined, undefined],
  );
});

test('OpenMetrics registries: counters written as OpenMetrics wants them', async () => {
  const registry = new Registry<OpenMetricsContentType>();
  registry.setContentType(openMetricsContentType);
  registered(registry);
  await limitEightTenRequests('api');
  const text = await registry.metrics();
  assert.match(text, /^# TYPE flowgate_decisions counter$/m);
  assert.match(text, /^flowgate_decisions_total\{limiter="api",limit="default",outcome="allowed"\} 8$/m);
  assert.match(text, /^# TYPE flowgate_store_duration_seconds histogram$/m);
  assert.match(text, /# EOF\n$/);
});

test('invalid arguments: every mistake at once, with codes', () => {
  assert.throws(
    () => registerMetrics(undefined as never, { nearLimitShare: -1, durationBuckets: [] }),
    (error: unknown) => {
      assert.ok(error instanceof FlowgateConfigError);
      assert.deepEqual(
        error.issues.map((i) => i.code),
        ['FG_REGISTRY_INVALID', 'FG_NEAR_LIMIT_SHARE_INVALID', 'FG_DURATION_BUCKETS_INVALID'],
      );
      assert.match(error.message, /never registers on the global default/);
      return true;
    },
  );
  assert.equal(channel(CHANNELS.decision).hasSubscribers, false);
});
