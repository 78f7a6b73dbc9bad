/**
 * The botnet case, run in its own process (`node --expose-gc --import tsx`) so
 * the heap can be measured after a forced GC: one million distinct keys through
 * a limiter on MemoryStore({ maxKeys: 50_000 }). Prints one JSON line.
 */
import { MemoryStore, RateLimiter, tokenBucket } from '../../src/index.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const KEYS = Number(process.argv[2] ?? 1_000_000);
const MAX_KEYS = 50_000;

gc();
const heapBefore = process.memoryUsage().heapUsed;
const store = new MemoryStore({ maxKeys: MAX_KEYS });
let now = 1_767_225_600_000;
// A long refill so no key is reclaimed as expired: only LRU eviction bounds the store.
const limiter = new RateLimiter({
  policy: tokenBucket({ capacity: 10, refillPerSecond: 0.01 }),
  store,
  clock: () => now,
});
let maxSize = 0;
let admitted = 0;
const started = performance.now();
for (let i = 0; i < KEYS; i++) {
  now += i % 16 === 0 ? 1 : 0;
  if ((await limiter.limit(`bot:${i}`)).allowed) admitted++;
  if (i % 10_000 === 0) maxSize = Math.max(maxSize, store.size);
}
const elapsedMs = performance.now() - started;
maxSize = Math.max(maxSize, store.size);
gc();
const heapAfter = process.memoryUsage().heapUsed;
// The newest key is still held; the first was evicted and starts fresh.
const newest = await limiter.peek(`bot:${KEYS - 1}`);
const oldest = await limiter.peek('bot:0');
console.log(
  JSON.stringify({
    keys: KEYS,
    maxKeys: MAX_KEYS,
    size: store.size,
    maxSize,
    admitted,
    heapGrowthBytes: heapAfter - heapBefore,
    elapsedMs: Math.round(elapsedMs),
    newestRemaining: newest.remaining,
    oldestRemaining: oldest.remaining,
  }),
);
