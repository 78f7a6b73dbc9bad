/**
 * Heap per key of a MemoryStore holding `N` sliding-log keys of one entry
 * each, run in its own process (`node --expose-gc --import tsx`) so the heap
 * can be measured after a forced GC. Prints one JSON line: { bytesPerKey }.
 */
import { MemoryStore, RateLimiter, slidingLog } from '../../src/index.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const KEYS = Number(process.argv[2] ?? 200_000);

function heap(): number {
  gc?.();
  gc?.();
  // The store keeps most of its state in typed arrays, outside the V8 heap.
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

const store = new MemoryStore({ maxKeys: KEYS });
const limiter = new RateLimiter({
  policy: slidingLog({ limit: 100, window: '1h' }),
  store,
  clock: () => 1_767_225_600_000,
});
const before = heap();
for (let i = 0; i < KEYS; i++) limiter.decide(`user:${i}`);
const after = heap();
if (store.size !== KEYS) throw new Error(`expected ${KEYS} keys held, got ${store.size}`);
console.log(JSON.stringify({ keys: KEYS, bytesPerKey: (after - before) / KEYS }));
