// Child process (run with --expose-gc): heap bytes per key (JS heap plus
// ArrayBuffer contents) of ONE library
// holding `keys` keys. Prints one JSON line: { bytesPerKey }.
// Usage: node --expose-gc --import tsx bench/lib/heap-child.ts <adapter-id> <keys>

import { heapSubject } from './adapters.js';

const CHUNK = 10_000;
/** Keeps the library reachable from a root until after the last measurement. */
const held: unknown[] = [];

function settledHeap(): number {
  const gc = globalThis.gc;
  if (!gc) throw new Error('run with --expose-gc');
  // Two passes: the first can leave work for finalizers and weak callbacks.
  gc();
  gc();
  // Typed arrays keep their contents outside the V8 heap: count those bytes too.
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

async function main(): Promise<void> {
  const [id = '', keysArg = '1000000'] = process.argv.slice(2);
  const total = Number(keysArg);
  const subject = heapSubject(id);
  held.push(subject);
  const baseline = settledHeap();
  // Keys are made per chunk and dropped after it: only the library keeps them,
  // so every library pays for its own copy of the key strings.
  for (let from = 0; from < total; from += CHUNK) {
    const keys: string[] = [];
    for (let i = from; i < Math.min(total, from + CHUNK); i++) keys.push(`user:${i}`);
    const admitted = await subject.run(keys, 0, keys.length);
    if (admitted !== keys.length) throw new Error(`expected every new key to be admitted, got ${admitted}`);
  }
  const used = settledHeap();
  process.stdout.write(`${JSON.stringify({ bytesPerKey: (used - baseline) / total })}\n`);
}

await main();
