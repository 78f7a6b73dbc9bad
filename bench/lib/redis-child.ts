// Child process of bench/redis.ts: ONE library against the Redis server the
// parent started, through its own ioredis client, for every cell. Each library
// runs in a process of its own, so no library warms the JIT or fills the heap
// for another. Prints one JSON line: { [cell]: number }.
// Usage: node --import tsx bench/lib/redis-child.ts <id> <redis-url> <auto-pipelining 0|1> <measure-ms>

import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { RedisStore as RateLimitRedisStore } from 'rate-limit-redis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import type * as Flowgate from '../../src/index.js';
import type * as FlowgateRedis from '../../src/stores/redis/index.js';

// `base:` subjects load flowgate from another checkout's src/ (FLOWGATE_BASE), so a
// branch and its base run side by side in one interleaved run.
const id0 = process.argv[2] ?? '';
const root = id0.startsWith('base:')
  ? pathToFileURL(`${process.env.FLOWGATE_BASE ?? ''}/src/`).href
  : new URL('../../src/', import.meta.url).href;
const { fixedWindow, leakyBucket, RateLimiter, slidingLog, slidingWindow, tokenBucket } = (await import(
  `${root}index.ts`
)) as typeof Flowgate;
const { RedisStore } = (await import(`${root}stores/redis/index.ts`)) as typeof FlowgateRedis;
type Policy = Flowgate.Policy;

const HIGH = 1_000_000_000;

/** One call, resolving to whether it was admitted. */
type Call = (key: string) => Promise<boolean>;

/** Accept-path policies: nothing is denied during a run (as in bench/lib/adapters.ts). */
function policy(name: string, hot: boolean): Policy {
  switch (name) {
    case 'fixed-window':
      return fixedWindow({ limit: HIGH, window: '1h' });
    case 'sliding-window':
      return slidingWindow({ limit: HIGH, window: '1h' });
    // The log admits at most 100k per window: a 100 ms window keeps a hot key well
    // below it at any rate reached here (and its list at most 100 entries, one per ms);
    // over 10k keys each key sees a few dozen calls per run.
    case 'sliding-log':
      return slidingLog({ limit: 100_000, window: hot ? 100 : '1h' });
    case 'token-bucket':
      return tokenBucket({ capacity: HIGH, refillPerSecond: 1_000_000 });
    case 'leaky-bucket':
      return leakyBucket({ capacity: HIGH, leakPerSecond: 1_000_000 });
  }
  throw new Error(`unknown policy ${name}`);
}

/** The subject `id` with its own client; `hot` selects the hot-key configuration where it differs. */
async function subject(id: string, client: Redis, hot: boolean): Promise<Call> {
  if (id.startsWith('flowgate:') || id.startsWith('base:')) {
    const limiter = new RateLimiter({
      policy: policy(id.slice(id.indexOf(':') + 1), hot),
      store: new RedisStore({ client }),
    });
    return async (key) => (await limiter.limit(key)).allowed;
  }
  if (id === 'rlf') {
    const limiter = new RateLimiterRedis({ storeClient: client, points: HIGH, duration: 3600 });
    return async (key) => {
      try {
        await limiter.consume(key);
        return true;
      } catch (rejection) {
        if (rejection instanceof Error) throw rejection;
        return false;
      }
    };
  }
  if (id === 'rate-limit-redis') {
    const store = new RateLimitRedisStore({
      sendCommand: (...args: string[]) => client.call(args[0] as string, ...args.slice(1)) as never,
    });
    store.init({ windowMs: 3_600_000 } as never);
    // express-rate-limit's middleware compares the count with its limit itself.
    return async (key) => (await store.increment(key)).totalHits <= HIGH;
  }
  if (id === 'ceiling') {
    // Not a rate limiter: one EVALSHA of `return 1` per call, the least any one-script-per-call library sends.
    const sha = (await client.script('LOAD', 'return 1')) as string;
    return async (key) => (await client.evalsha(sha, 1, key)) === 1;
  }
  throw new Error(`unknown library ${id}`);
}

const HOT = ['hot'];
const SPREAD = Array.from({ length: 10_000 }, (_, i) => `user:${i}`);

/** Calls `call` one at a time for `ms`; the median and p99 latency (µs) and calls per second. */
async function sequential(call: Call, keys: readonly string[], ms: number): Promise<[number, number, number]> {
  const samples: number[] = [];
  let i = 0;
  const started = performance.now();
  let now = started;
  while (now - started < ms) {
    const before = now;
    if (!(await call(keys[i] as string))) throw new Error('a call was denied on the accept path');
    now = performance.now();
    samples.push(now - before);
    if (++i === keys.length) i = 0;
  }
  const rate = (samples.length / (now - started)) * 1000;
  samples.sort((a, b) => a - b);
  const at = (q: number): number => (samples[Math.floor(samples.length * q)] as number) * 1000;
  return [at(0.5), at(0.99), rate];
}

/** `inFlight` workers calling for `ms`; calls per second. */
async function concurrent(call: Call, keys: readonly string[], inFlight: number, ms: number): Promise<number> {
  let next = 0;
  let done = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (performance.now() - started < ms) {
      const key = keys[next++ % keys.length] as string;
      if (!(await call(key))) throw new Error('a call was denied on the accept path');
      done++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return (done / (performance.now() - started)) * 1000;
}

/**
 * Calls of the commands a library sends per decision (flowgate FCALL, RLF EVALSHA or
 * EVAL, rate-limit-redis EVALSHA) and the microseconds Redis spent in them.
 */
function scriptStats(commandstats: string): { calls: number; usec: number } {
  let calls = 0;
  let usec = 0;
  for (const m of commandstats.matchAll(/cmdstat_(?:fcall|evalsha|eval):calls=(\d+),usec=(\d+)/g)) {
    calls += Number(m[1]);
    usec += Number(m[2]);
  }
  return { calls, usec };
}

async function main(): Promise<void> {
  const [id = '', url = '', pipelining = '0', msArg = '1000'] = process.argv.slice(2);
  const ms = Number(msArg);
  const client = new Redis(url, { enableAutoPipelining: pipelining === '1' });
  const admin = new Redis(url);
  const out: Record<string, number> = {};
  for (const [name, keys] of [
    ['hot', HOT],
    ['10k', SPREAD],
  ] as const) {
    const call = await subject(id, client, name === 'hot');
    // Warm-up: every key created (so the spread cells measure a steady state), then the JIT settled.
    for (const key of keys) await call(key);
    await concurrent(call, keys, 64, ms / 2);
    await sequential(call, keys, ms / 2);
    const [p50, p99, rate] = await sequential(call, keys, ms);
    out[`${name}-p50`] = p50;
    out[`${name}-p99`] = p99;
    out[`${name}-x1`] = rate;
    // Client CPU and Redis's own time per decision, beside the rate: the machine is shared, so
    // the rate alone cannot tell a slower library from a busier neighbour.
    await admin.config('RESETSTAT');
    const cpu = process.cpuUsage();
    let calls = 0;
    const counted: Call = (key) => {
      calls++;
      return call(key);
    };
    out[`${name}-x64`] = await concurrent(counted, keys, 64, ms);
    const used = process.cpuUsage(cpu);
    out[`${name}-x64-cpu`] = (used.user + used.system) / calls;
    const stats = scriptStats(await admin.info('commandstats'));
    out[`${name}-x64-redis`] = stats.usec / calls;
    out[`${name}-x64-batch`] = stats.calls > 0 ? calls / stats.calls : 0;
  }
  client.disconnect();
  admin.disconnect();
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

await main();
