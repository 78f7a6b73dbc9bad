// Child process: decisions per second of ONE library, for each scenario it
// supports. Prints one JSON line: { [scenario]: decisionsPerSecond }.
// Usage: node --import tsx bench/lib/throughput-child.ts <adapter-id> <measureMs>

import { ADAPTERS, type Path, type Subject } from './adapters.js';

export interface Scenario {
  id: string;
  path: Path;
  keys: number;
}

export const SCENARIOS: readonly Scenario[] = [
  { id: 'hot-accept', path: 'accept', keys: 1 },
  { id: 'keys100k-accept', path: 'accept', keys: 100_000 },
  { id: 'hot-reject', path: 'reject', keys: 1 },
  { id: 'keys100k-reject', path: 'reject', keys: 100_000 },
];

const BATCH = 10_000;

function makeKeys(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `user:${i}`);
}

/** Runs batches until `measureMs` has elapsed; checks every decision went the expected way. */
async function measure(subject: Subject, keys: string[], path: Path, measureMs: number): Promise<number> {
  let done = 0;
  const started = process.hrtime.bigint();
  let elapsedMs = 0;
  while (elapsedMs < measureMs) {
    const admitted = await subject.run(keys, done, BATCH);
    const expected = path === 'accept' ? BATCH : 0;
    if (admitted !== expected) throw new Error(`expected ${expected} admitted in a ${path} batch, got ${admitted}`);
    done += BATCH;
    elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  }
  return done / (elapsedMs / 1000);
}

async function main(): Promise<void> {
  const [id = '', measureArg = '500'] = process.argv.slice(2);
  const adapter = ADAPTERS[id];
  if (!adapter) throw new Error(`unknown adapter ${id}`);
  const measureMs = Number(measureArg);
  const results: Record<string, number> = {};
  for (const scenario of SCENARIOS) {
    if (!adapter.supports(scenario.path)) continue;
    const subject = adapter.create(scenario.path);
    const keys = makeKeys(scenario.keys);
    if (scenario.path === 'reject') {
      // Spend every key's single unit, so each measured call is a denial.
      const admitted = await subject.run(keys, 0, keys.length);
      if (admitted !== keys.length) throw new Error(`setup admitted ${admitted} of ${keys.length}`);
    }
    // Warm-up: inserts every key once (so the 100k-key runs measure a steady
    // state, not insertion) and lets the JIT settle.
    await subject.run(keys, 0, Math.max(200_000, 2 * keys.length));
    results[scenario.id] = await measure(subject, keys, scenario.path, measureMs);
  }
  process.stdout.write(`${JSON.stringify(results)}\n`);
}

await main();
