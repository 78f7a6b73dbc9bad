// Redis benchmark: flowgate RedisStore vs rate-limiter-flexible RateLimiterRedis
// vs rate-limit-redis (express-rate-limit's store), all through ioredis, against
// one redis-server this script starts. Not a test: run `npm run bench:redis`.
// Prints markdown and writes bench/results/redis.md.

import { writeFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { RedisStore as RateLimitRedisStore } from 'rate-limit-redis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import {
  fixedWindow,
  leakyBucket,
  type Policy,
  RateLimiter,
  slidingLog,
  slidingWindow,
  tokenBucket,
} from '../src/index.js';
import { RedisStore } from '../src/stores/redis/index.js';
import { startRedis } from '../test/support/redis-server.js';

const REPS = Number(process.env.BENCH_REPS ?? 3);
const OPS = Number(process.env.BENCH_OPS ?? 10_000);
const HIGH = 1_000_000_000;

type Call = (key: string) => Promise<unknown>;
interface Subject {
  label: string;
  accept: Call;
  reject?: Call;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** `total` calls with `inFlight` workers; returns calls per second. */
async function throughput(call: Call, keys: readonly string[], inFlight: number, total: number): Promise<number> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      const i = next++;
      await call(keys[i % keys.length] as string);
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: inFlight }, worker));
  return (total / (performance.now() - start)) * 1000;
}

async function latency(call: Call, count: number): Promise<{ p50: number; p99: number }> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await call('lat');
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return { p50: samples[Math.floor(count * 0.5)] as number, p99: samples[Math.floor(count * 0.99)] as number };
}

const server = await startRedis();
const admin = new Redis(server.url);
const pipelined = process.env.BENCH_PIPELINE !== '0';
const connect = (): Redis => new Redis(server.url, { enableAutoPipelining: pipelined });

function flowgate(policy: Policy, denialCache = false): Call {
  const limiter = new RateLimiter({ policy, store: new RedisStore({ client: connect() }), denialCache });
  return (key) => limiter.limit(key);
}

function rlf(points: number, inMemoryBlock = false): Call {
  const limiter = new RateLimiterRedis({
    storeClient: connect(),
    points,
    duration: 3600,
    ...(inMemoryBlock ? { inMemoryBlockOnConsumed: points, inMemoryBlockDuration: 3600 } : {}),
  });
  return (key) => limiter.consume(key).catch((rejection: unknown) => rejection);
}

function rateLimitRedis(limit: number): Call {
  const client = connect();
  const store = new RateLimitRedisStore({
    sendCommand: (...args: string[]) => client.call(args[0] as string, ...args.slice(1)) as never,
  });
  store.init({ windowMs: 3_600_000 } as never);
  // express-rate-limit compares the count with its limit itself.
  return async (key) => (await store.increment(key)).totalHits <= limit;
}

async function bareEvalsha(): Promise<Call> {
  const client = connect();
  const sha = (await client.script('LOAD', 'return 1')) as string;
  return (key) => client.evalsha(sha, 1, key);
}

const subjects: Subject[] = [
  {
    label: 'flowgate RedisStore (token bucket)',
    accept: flowgate(tokenBucket({ capacity: HIGH, refillPerSecond: 1_000_000 })),
  },
  { label: 'rate-limiter-flexible RateLimiterRedis', accept: rlf(HIGH) },
  { label: 'rate-limit-redis', accept: rateLimitRedis(HIGH) },
  // Not a rate limiter: one EVALSHA of `return 1` per call, the most any one-command-per-call client gets here.
  { label: 'ceiling: bare EVALSHA per call', accept: await bareEvalsha() },
];
const BASELINE = 'rate-limiter-flexible RateLimiterRedis';

const lines: string[] = [];
const log = (line = ''): void => {
  lines.push(line);
  console.log(line);
};
log(`# Redis benchmark`);
log();
log(
  `redis-server ${/redis_version:(\S+)/.exec(await admin.info('server'))?.[1] ?? ''} on 127.0.0.1, node ${process.version}, ioredis enableAutoPipelining: ${pipelined}, ` +
    `${REPS} repetitions of ${OPS} calls per cell (medians); one process, all libraries through ioredis.`,
);
log();

// Sequential latency.
log('## Sequential latency (one call at a time, hot key)');
log();
log('| library | p50 µs | p99 µs |');
log('|---|---:|---:|');
for (const s of subjects) {
  await latency(s.accept, 500);
  const runs = [];
  for (let r = 0; r < REPS; r++) runs.push(await latency(s.accept, 2000));
  log(
    `| ${s.label} | ${(median(runs.map((x) => x.p50)) * 1000).toFixed(0)} | ${(median(runs.map((x) => x.p99)) * 1000).toFixed(0)} |`,
  );
}
log();

// Throughput.
const hot = ['hot'];
const many = Array.from({ length: 10_000 }, (_, i) => `user:${i}`);
const results: Record<string, Record<string, number>> = {};
log('## Throughput (calls/s; accept path)');
log();
const cols: [string, readonly string[], number][] = [];
for (const inFlight of [1, 16, 64, 256]) {
  cols.push([`hot ×${inFlight}`, hot, inFlight]);
  cols.push([`10k keys ×${inFlight}`, many, inFlight]);
}
log(`| library | ${cols.map(([c]) => c).join(' | ')} |`);
log(`|---|${cols.map(() => '---:').join('|')}|`);
for (const s of subjects) {
  results[s.label] = {};
  for (const [col, keys, inFlight] of cols) {
    await throughput(s.accept, keys, inFlight, Math.min(OPS, 2000));
    const runs = [];
    for (let r = 0; r < REPS; r++)
      runs.push(await throughput(s.accept, keys, inFlight, inFlight === 1 ? OPS / 4 : OPS));
    (results[s.label] as Record<string, number>)[col] = median(runs);
  }
}
const base = results[BASELINE] as Record<string, number>;
for (const s of subjects) {
  const row = results[s.label] as Record<string, number>;
  log(
    `| ${s.label} | ${cols.map(([c]) => `${((row[c] as number) / 1000).toFixed(1)}k (${((row[c] as number) / (base[c] as number)).toFixed(2)}×)`).join(' | ')} |`,
  );
}
log();

// Reject path.
log('## Reject path (every call denied; 64 in flight, 10k keys)');
log();
const spent = Array.from({ length: 10_000 }, (_, i) => `spent:${i}`);
const rejecters: [string, Call][] = [
  ['flowgate RedisStore, no near-cache', flowgate(tokenBucket({ capacity: 1, refillPerSecond: 1 / 3600 }))],
  ['flowgate RedisStore, denialCache: true', flowgate(tokenBucket({ capacity: 1, refillPerSecond: 1 / 3600 }), true)],
  ['rate-limiter-flexible RateLimiterRedis', rlf(1)],
  ['rate-limiter-flexible, inMemoryBlockOnConsumed', rlf(1, true)],
  ['rate-limit-redis', rateLimitRedis(1)],
];
const rejectResults: Record<string, number> = {};
for (const [label, call] of rejecters) {
  for (const key of spent) await call(key);
  for (const key of spent) await call(key);
  const runs = [];
  for (let r = 0; r < REPS; r++) runs.push(await throughput(call, spent, 64, OPS * 2));
  rejectResults[label] = median(runs);
}
log('| library | calls/s | × RateLimiterRedis |');
log('|---|---:|---:|');
for (const [label] of rejecters) {
  const value = rejectResults[label] as number;
  log(`| ${label} | ${(value / 1000).toFixed(1)}k | ${(value / (rejectResults[BASELINE] as number)).toFixed(2)}× |`);
}
log();

// Memory per key.
log('## Redis memory per key (INFO used_memory delta over 100k keys, one call each)');
log();
const KEYS = 100_000;
// Every subject allows 10 per hour, so no key expires during the measurement (a
// bucket refilling 1/s dropped its keys after a second, and the table sizes of
// the dropped keys were then divided by the survivors).
const memorySubjects: [string, Call][] = [
  ['flowgate token bucket', flowgate(tokenBucket({ capacity: 10, refillPerSecond: 10 / 3600 }))],
  ['flowgate leaky bucket', flowgate(leakyBucket({ capacity: 10, leakPerSecond: 10 / 3600 }))],
  ['flowgate fixed window', flowgate(fixedWindow({ limit: 10, window: '1h' }))],
  ['flowgate sliding window', flowgate(slidingWindow({ limit: 10, window: '1h' }))],
  ['flowgate sliding log (1 entry)', flowgate(slidingLog({ limit: 10, window: '1h' }))],
  ['rate-limiter-flexible RateLimiterRedis', rlf(10)],
  ['rate-limit-redis', rateLimitRedis(10)],
];
const usedMemory = async (): Promise<number> => Number(/used_memory:(\d+)/.exec(await admin.info('memory'))?.[1]);
const memoryResults: Record<string, number> = {};
log('| store | bytes/key |');
log('|---|---:|');
for (const [label, call] of memorySubjects) {
  await admin.flushall();
  const before = await usedMemory();
  const keys = Array.from({ length: KEYS }, (_, i) => `user:${i}`);
  await throughput(call, keys, 256, KEYS);
  const size = await admin.dbsize();
  const bytes = ((await usedMemory()) - before) / size;
  memoryResults[label] = bytes;
  log(`| ${label} | ${bytes.toFixed(0)} |`);
}
log();
log('Key names: flowgate `{flowgate:user:N}`, rate-limiter-flexible `rlflx:user:N`, rate-limit-redis `rl:user:N`.');
log();

// Targets.
const at64 = (label: string): number => (results[label] as Record<string, number>)['10k keys ×64'] as number;
const hot64 = (label: string): number => (results[label] as Record<string, number>)['hot ×64'] as number;
const flow = 'flowgate RedisStore (token bucket)';
const ratio64 = Math.min(at64(flow) / at64(BASELINE), hot64(flow) / hot64(BASELINE));
const rejectRatio =
  (rejectResults['flowgate RedisStore, denialCache: true'] as number) / (rejectResults[BASELINE] as number);
const tokenBytes = memoryResults['flowgate token bucket'] as number;
log('## Targets');
log();
log(
  `- ≥ 1.3× RateLimiterRedis at 64 in flight (worse of hot / 10k keys): ${ratio64.toFixed(2)}× — ${ratio64 >= 1.3 ? 'met' : 'NOT met'}`,
);
log(
  `- reject path with near-cache ≥ 10× RateLimiterRedis: ${rejectRatio.toFixed(1)}× — ${rejectRatio >= 10 ? 'met' : 'NOT met'}`,
);
log(`- token bucket ≤ 120 bytes/key in Redis: ${tokenBytes.toFixed(0)} — ${tokenBytes <= 120 ? 'met' : 'NOT met'}`);

writeFileSync(new URL('./results/redis.md', import.meta.url), `${lines.join('\n')}\n`);
await server.stop();
process.exit(0);
