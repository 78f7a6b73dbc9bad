// Child of bench/observe-instructions.ts, run under valgrind: N decisions of
// one configuration on the built package (dist/), nothing else. The parent
// runs it twice (two values of N) and divides the difference in instructions
// by the difference in N, so start-up and loading cancel out. No periodic
// collection: what is measured is the cost per decision of listening.
//
//   node bench/lib/observe-count-child.mjs <dist-dir> <memory|redis> <none|otel|prometheus> <N> [redis-url]

const [dist, path, exporter, countArg, redisUrl] = process.argv.slice(2);
const count = Number(countArg);
const flowgate = await import(`${dist}/index.js`);
const HIGH = 1_000_000_000;

let stop = async () => {};
if (exporter === 'otel') {
  const { recordMetrics } = await import(`${dist}/otel.js`);
  const { MeterProvider, PeriodicExportingMetricReader, InMemoryMetricExporter, AggregationTemporality } = await import(
    '@opentelemetry/sdk-metrics'
  );
  const reader = new PeriodicExportingMetricReader({
    exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
    exportIntervalMillis: 2 ** 31 - 1,
  });
  const provider = new MeterProvider({ readers: [reader] });
  const metrics = recordMetrics(provider);
  stop = async () => {
    await reader.forceFlush();
    metrics.stop();
    await provider.shutdown();
  };
} else if (exporter === 'prometheus') {
  const { registerMetrics } = await import(`${dist}/prometheus.js`);
  const { Registry } = await import('prom-client');
  const registry = new Registry();
  const metrics = registerMetrics(registry);
  stop = async () => {
    await registry.metrics();
    metrics.stop();
  };
} else if (exporter !== 'none') {
  throw new Error(`unknown exporter ${exporter}`);
}

if (path === 'memory') {
  const limiter = new flowgate.RateLimiter({
    policy: flowgate.tokenBucket({ capacity: HIGH, refillPerSecond: 1_000_000 }),
    store: new flowgate.MemoryStore(),
  });
  let admitted = 0;
  for (let n = 0; n < count; n++) if ((await limiter.limit('user:0')).allowed) admitted++;
  if (admitted !== count) throw new Error(`admitted ${admitted} of ${count}`);
} else {
  const { RedisStore } = await import(`${dist}/redis.js`);
  const { Redis } = await import('ioredis');
  const client = new Redis(redisUrl, { enableAutoPipelining: true });
  const limiter = new flowgate.RateLimiter({
    policy: flowgate.tokenBucket({ capacity: HIGH, refillPerSecond: 1_000_000 }),
    store: new RedisStore({ client }),
    prefix: `observe-count-${process.pid}`,
    // Under valgrind a call takes tens of times longer: no timeout may decide for the store.
    timeoutMs: Number.POSITIVE_INFINITY,
  });
  const keys = Array.from({ length: 1000 }, (_, i) => `user:${i}`);
  let next = 0;
  let admitted = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      if ((await limiter.limit(keys[i % keys.length])).allowed) admitted++;
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
  client.disconnect();
  if (admitted !== count) throw new Error(`admitted ${admitted} of ${count}`);
}
await stop();
