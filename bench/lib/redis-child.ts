// Child process of bench/redis.ts: ONE library against the Redis server the
// parent started, through its own ioredis client, for every cell. Each library
// runs in a process of its own, so no library warms the JIT or fills the heap
// for another. Prints one JSON line: { [cell]: number }.
// Usage: node --import tsx bench/lib/redis-child.ts <id> <redis-url> <auto-pipelining 0|1> <measure-ms>

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
} from '../../src/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';

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
  if (id.startsWith('flowgate:')) {
    const limiter = new RateLimiter({
      policy: policy(id.slice('flowgate:'.length), hot),
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

async function main(): Promise<void> {
  const [id = '', url = '', pipelining = '0', msArg = '1000'] = process.argv.slice(2);
  const ms = Number(msArg);
  const client = new Redis(url, { enableAutoPipelining: pipelining === '1' });
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
    out[`${name}-x64`] = await concurrent(call, keys, 64, ms);
  }
  client.disconnect();
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

await main();
