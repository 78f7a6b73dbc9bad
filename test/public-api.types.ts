/**
 * Compile-time tests of the public API, checked by `npm run check` (tsc):
 * each `@ts-expect-error` line must stay an error, and every other line must
 * type-check, so a change to the types that breaks users fails the check.
 */
import { metrics } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { Redis } from 'ioredis';
import { type OpenMetricsContentType, Registry } from 'prom-client';
import {
  type CHANNELS,
  type Decision,
  type DecisionEvent,
  type Duration,
  fixedWindow,
  leakyBucket,
  MemoryStore,
  type Outcome,
  type Policy,
  RateLimiter,
  slidingLog,
  slidingWindow,
  tokenBucket,
} from '../src/index.js';
import { type MetricsOptions, type MetricsSubscription, recordMetrics } from '../src/observe/otel.js';
import { type METRIC_NAMES, registerMetrics } from '../src/observe/prometheus.js';
import { RedisStore } from '../src/stores/redis/index.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | undefined {
  return undefined;
}

// Durations: numbers or strings with a unit.
const durations: Duration[] = [500, '500ms', '10s', '1m', '1h', '1d'];
// @ts-expect-error a unit flowgate does not parse
const badDuration: Duration = '10 parsecs';

const policies: Policy[] = [
  fixedWindow({ limit: 100, window: '1m' }),
  slidingLog({ limit: 100, window: 60_000 }),
  slidingWindow({ limit: 100, window: '1m' }),
  tokenBucket({ capacity: 100, refillPerSecond: 100 / 60 }),
  leakyBucket({ capacity: 10, leakPerSecond: 5 }),
];
// @ts-expect-error buckets take capacity and a rate, not a window
tokenBucket({ capacity: 100, window: '1m' });
// @ts-expect-error the option is refillPerSecond
tokenBucket({ capacity: 100, refilPerSecond: 1 });

const limiter = new RateLimiter({
  policy: tokenBucket({ capacity: 100, refillPerSecond: 10 }),
  store: new MemoryStore({ maxKeys: 50_000 }),
  prefix: 'api',
  onStoreError: 'deny',
  timeoutMs: 100,
  clock: () => Date.now(),
  shards: 4,
  denialCache: { maxKeys: 1000 },
});
// @ts-expect-error onStoreError is 'allow' | 'deny' | 'throw'
new RateLimiter({ policy: policies[0] as Policy, onStoreError: 'ignore' });

new RateLimiter({ policy: fixedWindow({ limit: 1, window: 1 }), store: new RedisStore({ client: new Redis() }) });

export async function usage(): Promise<void> {
  const decision = await limiter.limit('user:42', { cost: 2, shardKey: 'user:42' });
  assertType<Equal<typeof decision, Decision>>();
  assertType<Equal<Awaited<ReturnType<RateLimiter['peek']>>, Decision>>();
  assertType<Equal<ReturnType<RateLimiter['reset']>, Promise<void>>>();
  const { allowed, limit, remaining, resetMs, retryAfterMs, delayMs, degraded } = decision;
  assertType<Equal<[typeof allowed, typeof degraded], [boolean, boolean]>>();
  type Times = [typeof limit, typeof remaining, typeof resetMs, typeof retryAfterMs, typeof delayMs];
  assertType<Equal<Times, [number, number, number, number, number]>>();
  // @ts-expect-error decisions are read-only
  decision.allowed = true;
  // @ts-expect-error keys are strings
  await limiter.limit(42);
}

// Per-limit costs: a record over exactly the limiter's limit names, only on a limiter with `limits`.
const llm = new RateLimiter({
  limits: {
    requests: fixedWindow({ limit: 60, window: '1m' }),
    tokens: tokenBucket({ capacity: 10_000, refillPerSecond: 100 }),
  },
});
export async function perLimitCosts(): Promise<void> {
  const d = await llm.limit('user:42', { cost: { requests: 1, tokens: 500 } });
  assertType<Equal<typeof d.violated, readonly ('requests' | 'tokens')[]>>();
  await llm.limit('user:42', { cost: 2 });
  await llm.refund('user:42', { cost: { requests: 0, tokens: 300 }, decision: d });
  // @ts-expect-error a record names every limit: tokens is missing
  await llm.limit('user:42', { cost: { requests: 1 } });
  // @ts-expect-error only the limiter's own limits
  await llm.limit('user:42', { cost: { requests: 1, tokens: 5, images: 1 } });
  // @ts-expect-error costs are numbers
  await llm.limit('user:42', { cost: { requests: '1', tokens: 5 } });
  // @ts-expect-error a limiter with one policy takes one number
  await limiter.limit('user:42', { cost: { default: 1 } });
  // @ts-expect-error refunds too: only the limiter's own limits
  await llm.refund('user:42', { cost: { requests: 1, images: 1 } });
}

// flowgate/otel: a Meter or a MeterProvider, from the API or the SDK; options typed.
const options: MetricsOptions = { nearLimitShare: 0.1, limiters: ['api'], durationBuckets: [0.001, 0.01] };
const recording: MetricsSubscription = recordMetrics(metrics.getMeter('app'), options);
recordMetrics(new MeterProvider());
recordMetrics(metrics.getMeterProvider()).stop();
// @ts-expect-error a meter, not its name
recordMetrics('app');
// @ts-expect-error the option is nearLimitShare
recordMetrics(metrics.getMeter('app'), { nearLimit: 0.1 });
assertType<Equal<ReturnType<typeof recording.stop>, void>>();

// flowgate/prometheus: the application's Registry, Prometheus or OpenMetrics; the same options.
const registration = registerMetrics(new Registry(), options);
registerMetrics(new Registry<OpenMetricsContentType>());
// @ts-expect-error the registry is required: flowgate never picks the global default
registerMetrics();
// @ts-expect-error limiters are named by strings
registerMetrics(new Registry(), { limiters: [limiter] });
assertType<Equal<typeof registration, MetricsSubscription>>();
assertType<Equal<(typeof METRIC_NAMES)['decisions'], 'flowgate_decisions_total'>>();

// Events: typed messages on documented channels.
assertType<Equal<(typeof CHANNELS)['decision'], 'flowgate:decision'>>();
export function onDecision(message: unknown): Outcome[] {
  const event = message as DecisionEvent;
  assertType<Equal<typeof event.storeMs, number | undefined>>();
  assertType<Equal<ReturnType<typeof event.keys>, readonly string[]>>();
  // @ts-expect-error outcomes are read-only
  event.outcomes.push('allowed');
  return [...event.outcomes];
}

export { badDuration, durations };
