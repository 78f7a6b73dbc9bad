// Child of bench/redis-client-instructions.ts, run under valgrind: N decisions
// of one policy through the built package (dist/) and an ioredis client with
// its default options, on the hot key or over 10k keys, as in
// bench/lib/redis-child.ts, 64 in flight or one at a time, with a finite
// timeoutMs as bench/redis.ts runs it (the limiter's default, 1000 ms), so its
// bookkeeping is counted. The parent runs it
// for two values of N and divides the difference in instructions by the
// difference in N, so start-up and loading cancel out. Policy `rlf`:
// rate-limiter-flexible's RateLimiterRedis `consume()`, for comparison;
// `set3`: a set of three fixed windows (user, org, global), one key each.
//
//   node bench/lib/redis-client-count-child.mjs <dist-dir> <policy> <hot|10k> <N> <redis-url> [<in flight>]

const [dist, name, keysArg, countArg, url, inFlightArg] = process.argv.slice(2);
const count = Number(countArg);
const inFlight = Number(inFlightArg ?? '64');
const flowgate = await import(`${dist}/index.js`);
const { RedisStore } = await import(`${dist}/redis.js`);
const { Redis } = await import('ioredis');
const HIGH = 1_000_000_000;
const hot = keysArg === 'hot';

const policies = {
  'token-bucket': () => flowgate.tokenBucket({ capacity: HIGH, refillPerSecond: 1_000_000 }),
  'leaky-bucket': () => flowgate.leakyBucket({ capacity: HIGH, leakPerSecond: 1_000_000 }),
  'fixed-window': () => flowgate.fixedWindow({ limit: HIGH, window: '1h' }),
  'sliding-window': () => flowgate.slidingWindow({ limit: HIGH, window: '1h' }),
  'sliding-log': () => flowgate.slidingLog({ limit: 100_000, window: hot ? 100 : '1h' }),
};
const client = new Redis(url);
/** One decision on `key`: true when admitted by the store (a degraded decision, e.g. a timeout, throws). */
let decide;
if (name === 'rlf') {
  const { RateLimiterRedis } = await import('rate-limiter-flexible');
  const rlf = new RateLimiterRedis({
    storeClient: client,
    keyPrefix: `rlf-${process.pid}`,
    points: HIGH,
    duration: 3600,
  });
  decide = async (key) => {
    await rlf.consume(key);
    return true;
  };
} else {
  const window = () => flowgate.fixedWindow({ limit: HIGH, window: '1h' });
  const limiter = new flowgate.RateLimiter({
    ...(name === 'set3'
      ? { limits: { user: window(), org: window(), global: window() } }
      : { policy: policies[name]() }),
    store: new RedisStore({ client }),
    prefix: `client-count-${process.pid}`,
    // Under valgrind a call takes tens of times longer: no timeout may decide for the store, but a finite one
    // all the same (bench/redis.ts runs the default 1000 ms): its bookkeeping is part of a call's cost.
    timeoutMs: 60_000,
  });
  decide = async (key) => {
    const decided = await limiter.limit(name === 'set3' ? { user: key, org: 'o0', global: 'all' } : key);
    if (decided.degraded) throw new Error('a decision was degraded (timed out under valgrind?)');
    return decided.allowed;
  };
}
const keys = hot ? ['hot'] : Array.from({ length: 10_000 }, (_, i) => `user:${i}`);
let next = 0;
let admitted = 0;
const worker = async () => {
  while (next < count) {
    const i = next++;
    if (await decide(keys[i % keys.length])) admitted++;
  }
};
await Promise.all(Array.from({ length: inFlight }, worker));
client.disconnect();
if (admitted !== count) throw new Error(`admitted ${admitted} of ${count}`);
