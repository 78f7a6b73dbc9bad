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
/** Long enough for the optimizing compiler (on its own thread, counted in CPU time) to finish. */
const WARM_UP_MS = 400;

function makeKeys(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `user:${i}`);
}

/**
 * Runs batches until `measureMs` of wall time has passed; checks every
 * decision went the expected way. The rate is per CPU-second of this process
 * (user + system, all its threads, so GC helpers count): on a machine shared
 * with other work, wall time would also count the time spent descheduled.
 */
async function measure(subject: Subject, keys: string[], path: Path, measureMs: number): Promise<number> {
  let done = 0;
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  while (performance.now() - started < measureMs) {
    const admitted = await subject.run(keys, done, BATCH);
    const expected = path === 'accept' ? BATCH : 0;
    if (admitted !== expected) throw new Error(`expected ${expected} admitted in a ${path} batch, got ${admitted}`);
    done += BATCH;
  }
  const cpu = process.cpuUsage(cpuStart);
  return done / ((cpu.user + cpu.system) / 1e6);
}

async function main(): Promise<void> {
  const [id = '', measureArg = '500'] = process.argv.slice(2);
  const adapter = ADAPTERS[id];
  if (!adapter) throw new Error(`unknown adapter ${id}`);
  const measureMs = Number(measureArg);
  const results: Record<string, number> = {};
  for (const scenario of SCENARIOS) {
    if (!adapter.supports(scenario.path)) continue;
    const subject = adapter.create(scenario.path, scenario.keys);
    const keys = makeKeys(scenario.keys);
    if (scenario.path === 'reject') {
      // Spend every key's single unit, so each measured call is a denial.
      const admitted = await subject.run(keys, 0, keys.length);
      if (admitted !== keys.length) throw new Error(`setup admitted ${admitted} of ${keys.length}`);
    }
    // Warm-up: visits every key twice (so the 100k-key runs measure a steady
    // state, not insertion), then runs until the JIT has settled.
    await subject.run(keys, 0, 2 * keys.length);
    const warmStarted = performance.now();
    while (performance.now() - warmStarted < WARM_UP_MS) await subject.run(keys, 0, BATCH);
    results[scenario.id] = await measure(subject, keys, scenario.path, measureMs);
  }
  process.stdout.write(`${JSON.stringify(results)}\n`);
}

await main();
