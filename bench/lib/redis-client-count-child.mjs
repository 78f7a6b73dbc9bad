// Child of bench/redis-client-instructions.ts, run under valgrind: N decisions
// of one policy through the built package (dist/) and an ioredis client with
// its default options, 64 in flight (or --in-flight N), on the hot key or over 10k keys, as in
// bench/lib/redis-child.ts. The parent runs it for two values of N and divides
// the difference in instructions by the difference in N, so start-up and
// loading cancel out.
//
//   node bench/lib/redis-client-count-child.mjs <dist-dir> <policy> <hot|10k> <N> <redis-url> [in-flight]

const [dist, name, keysArg, countArg, url, inFlightArg = '64'] = process.argv.slice(2);
const count = Number(countArg);
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
const limiter = new flowgate.RateLimiter({
  policy: policies[name](),
  store: new RedisStore({ client }),
  prefix: `client-count-${process.pid}`,
  // Under valgrind a call takes tens of times longer: no timeout may decide for the store.
  timeoutMs: Number.POSITIVE_INFINITY,
});
const keys = hot ? ['hot'] : Array.from({ length: 10_000 }, (_, i) => `user:${i}`);
let next = 0;
let admitted = 0;
const worker = async () => {
  while (next < count) {
    const i = next++;
    if ((await limiter.limit(keys[i % keys.length])).allowed) admitted++;
  }
};
await Promise.all(Array.from({ length: Number(inFlightArg) }, worker));
client.disconnect();
if (admitted !== count) throw new Error(`admitted ${admitted} of ${count}`);
