// Child of bench/observe-instructions.ts, run under valgrind: decisions of
// one configuration on the built package (dist/), nothing else. No periodic
// collection: what is measured is the cost per decision of listening.
//
//   node bench/lib/observe-count-child.mjs <dist-dir> memory <none|otel|prometheus> <N>
//   node bench/lib/observe-count-child.mjs <dist-dir> redis <none|otel|prometheus> <warm> <total> <redis-url> [timeoutMs]
//
// Memory: N decisions; the parent runs it twice (two values of N) under
// cachegrind and divides the difference in instructions by the difference in N.
//
// Redis: `total` decisions in rounds of ROUND calls made in one job and awaited
// together, so that every round batches the same way (the batcher sends a
// round made while nothing is in flight as two calls of ROUND / 2, see
// MIN_SPLIT in src/stores/redis/batch.ts), whatever the timing; 64 workers
// that each re-entered when its own reply came grouped calls by how replies
// happened to arrive, which moved a decision by thousands of instructions
// between runs. After `warm` decisions it calls os.getPriority(), on which
// callgrind zeroes its counts, and after `total` os.loadavg(), on which it
// dumps them: the measured decisions alone, in one process. Run with
// --expose-gc, it collects everything halfway through the warm-up (see below).

import { getPriority, loadavg } from 'node:os';

const [dist, path, exporter, ...rest] = process.argv.slice(2);
const flowgate = await import(`${dist}/index.js`);
const HIGH = 1_000_000_000;
/** Calls per round on the Redis path (the timed bench's calls in flight). */
const ROUND = 64;

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
  const count = Number(rest[0]);
  const limiter = new flowgate.RateLimiter({
    policy: flowgate.tokenBucket({ capacity: HIGH, refillPerSecond: 1_000_000 }),
    store: new flowgate.MemoryStore(),
  });
  let admitted = 0;
  for (let n = 0; n < count; n++) if ((await limiter.limit('user:0')).allowed) admitted++;
  if (admitted !== count) throw new Error(`admitted ${admitted} of ${count}`);
} else {
  const [warmArg, totalArg, redisUrl, timeoutArg] = rest;
  const warm = Number(warmArg);
  const total = Number(totalArg);
  if (warm % ROUND !== 0 || total % ROUND !== 0) throw new Error(`counts must be multiples of ${ROUND}`);
  const { RedisStore } = await import(`${dist}/redis.js`);
  const { Redis } = await import('ioredis');
  const client = new Redis(redisUrl, { enableAutoPipelining: true });
  const limiter = new flowgate.RateLimiter({
    policy: flowgate.tokenBucket({ capacity: HIGH, refillPerSecond: 1_000_000 }),
    store: new RedisStore({ client }),
    prefix: `observe-count-${process.pid}`,
    // Under valgrind a call takes tens of times longer: no timeout may decide for the store.
    timeoutMs: timeoutArg === undefined ? Number.POSITIVE_INFINITY : Number(timeoutArg),
  });
  const keys = Array.from({ length: 1000 }, (_, i) => `user:${i}`);
  const calls = new Array(ROUND);
  const halfway = Math.floor(warm / ROUND / 2) * ROUND;
  let admitted = 0;
  for (let n = 0; n < total; n += ROUND) {
    // Halfway through the warm-up, a full collection: what start-up and compiling left is not collected in
    // the measured rounds, where one mark-compact more or less moved a decision by 5k instructions between
    // builds. Not just before them: V8 then flushed code that the measured rounds compiled again (+4.4k).
    if (n === halfway) globalThis.gc?.();
    if (n === warm) getPriority();
    for (let j = 0; j < ROUND; j++) calls[j] = limiter.limit(keys[(n + j) % keys.length]);
    for (const decided of await Promise.all(calls)) if (decided.allowed) admitted++;
  }
  loadavg();
  client.disconnect();
  if (admitted !== total) throw new Error(`admitted ${admitted} of ${total}`);
}
await stop();
