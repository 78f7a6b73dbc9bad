// Child process of bench/observe.ts: decisions per second of ONE configuration
// (a path, and what listens to the limiter's events). Prints one JSON line:
// { decisionsPerCpuSecond, decisionsPerSecond, cpuUsPerDecision }.
//
//   node --import tsx bench/lib/observe-child.ts <src-dir> <memory|redis|redis-pipelined> <none|otel|prometheus> <measure> [redis-url]
//
// <src-dir> is the flowgate source to measure (this checkout's src/, or a
// baseline exported from another commit); <measure> is ms of wall time for
// the memory path and a number of decisions for the Redis path.

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { MetricsSubscription } from '../../src/observe/otel.js';

type Limiter = { limit(key: string): Promise<{ allowed: boolean }> };

const [srcDir = '', path = '', exporter = '', measureArg = '', redisUrl] = process.argv.slice(2);
const src = (file: string): Promise<Record<string, unknown>> =>
  import(pathToFileURL(resolve(srcDir, file)).href) as Promise<Record<string, unknown>>;

const flowgate = (await src('index.ts')) as typeof import('../../src/index.js');
const HIGH = 1_000_000_000;
/** Scrapes or exports as a running service would, so collection costs are counted too. */
const COLLECT_EVERY_MS = 1000;

async function listen(): Promise<() => Promise<void>> {
  if (exporter === 'none') return async () => {};
  if (exporter === 'otel') {
    const { recordMetrics } = (await src('observe/otel.ts')) as typeof import('../../src/observe/otel.js');
    const { AggregationTemporality, MeterProvider, PeriodicExportingMetricReader } = await import(
      '@opentelemetry/sdk-metrics'
    );
    // An exporter that drops what it is handed: the SDK still collects and aggregates every interval.
    const reader = new PeriodicExportingMetricReader({
      exporter: {
        export: (_metrics, done) => done({ code: 0 }),
        forceFlush: async () => {},
        shutdown: async () => {},
        selectAggregationTemporality: () => AggregationTemporality.CUMULATIVE,
      },
      exportIntervalMillis: COLLECT_EVERY_MS,
    });
    const provider = new MeterProvider({ readers: [reader] });
    const metrics: MetricsSubscription = recordMetrics(provider);
    return async () => {
      metrics.stop();
      await provider.shutdown();
    };
  }
  if (exporter === 'prometheus') {
    const { registerMetrics } = (await src(
      'observe/prometheus.ts',
    )) as typeof import('../../src/observe/prometheus.js');
    const { Registry } = await import('prom-client');
    const registry = new Registry();
    const metrics = registerMetrics(registry);
    const scrape = setInterval(() => void registry.metrics(), COLLECT_EVERY_MS);
    return async () => {
      clearInterval(scrape);
      metrics.stop();
    };
  }
  throw new Error(`unknown exporter ${exporter}`);
}

/** The memory store's hot path: one key, every call admitted, awaited one at a time. */
async function memory(measureMs: number): Promise<Record<string, number>> {
  const limiter: Limiter = new flowgate.RateLimiter({
    policy: flowgate.tokenBucket({ capacity: HIGH, refillPerSecond: 1_000_000 }),
    store: new flowgate.MemoryStore(),
  });
  const BATCH = 10_000;
  const run = async (): Promise<void> => {
    let admitted = 0;
    for (let n = 0; n < BATCH; n++) if ((await limiter.limit('user:0')).allowed) admitted++;
    if (admitted !== BATCH) throw new Error(`admitted ${admitted} of ${BATCH}`);
  };
  const warm = performance.now();
  while (performance.now() - warm < 400) await run();
  let done = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  while (performance.now() - started < measureMs) {
    await run();
    done += BATCH;
  }
  const used = process.cpuUsage(cpu);
  const wall = performance.now() - started;
  const cpuSeconds = (used.user + used.system) / 1e6;
  return {
    decisionsPerCpuSecond: done / cpuSeconds,
    decisionsPerSecond: done / (wall / 1000),
    cpuUsPerDecision: (cpuSeconds * 1e6) / done,
  };
}

/** The Redis path: 64 calls in flight over one ioredis connection (auto-pipelining as asked), every call admitted. */
async function redis(decisions: number, pipelined: boolean): Promise<Record<string, number>> {
  if (!redisUrl) throw new Error('the Redis path needs a redis URL');
  const { RedisStore } = (await src('stores/redis/index.ts')) as typeof import('../../src/stores/redis/index.js');
  const { Redis } = await import('ioredis');
  const client = new Redis(redisUrl, pipelined ? { enableAutoPipelining: true } : {});
  const limiter: Limiter = new flowgate.RateLimiter({
    policy: flowgate.tokenBucket({ capacity: HIGH, refillPerSecond: 1_000_000 }),
    store: new RedisStore({ client }),
    prefix: `observe-bench-${process.pid}`,
  });
  const IN_FLIGHT = 64;
  const keys = Array.from({ length: 1000 }, (_, i) => `user:${i}`);
  const run = async (total: number): Promise<void> => {
    let next = 0;
    let admitted = 0;
    const worker = async (): Promise<void> => {
      while (next < total) {
        const i = next++;
        if ((await limiter.limit(keys[i % keys.length] as string)).allowed) admitted++;
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    if (admitted !== total) throw new Error(`admitted ${admitted} of ${total}`);
  };
  await run(Math.min(decisions, 20_000));
  const started = performance.now();
  const cpu = process.cpuUsage();
  await run(decisions);
  const used = process.cpuUsage(cpu);
  const wall = performance.now() - started;
  client.disconnect();
  const cpuSeconds = (used.user + used.system) / 1e6;
  return {
    decisionsPerCpuSecond: decisions / cpuSeconds,
    decisionsPerSecond: decisions / (wall / 1000),
    cpuUsPerDecision: (cpuSeconds * 1e6) / decisions,
  };
}

const stop = await listen();
const result =
  path === 'memory' ? await memory(Number(measureArg)) : await redis(Number(measureArg), path === 'redis-pipelined');
await stop();
process.stdout.write(`${JSON.stringify(result)}\n`);
