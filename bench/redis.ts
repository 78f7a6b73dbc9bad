// Redis benchmark: flowgate's RedisStore (every policy) vs rate-limiter-flexible's
// RateLimiterRedis vs rate-limit-redis (express-rate-limit's store), against one
// redis-server this script starts. Every library runs in its own child process
// (bench/lib/redis-child.ts) with its own ioredis client, one process per library,
// client setting and repetition, the libraries interleaved; the headline is
// ioredis's default options, auto-pipelining is the second setting. Not a test.
//
//   npm run bench:redis                 # full run, writes bench/results/redis.md
//   npm run bench:redis -- --quick      # 1 repetition of 500 ms cells, not written
//   npm run bench:redis:vs-main         # this checkout beside main's src/, default client options,
//                                       # written to bench/results/redis-vs-main.md
//   ... -- --against DIR --settings 0 --only a,b --out FILE   (see parseArgs below)

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { startRedis } from '../test/support/redis-server.js';
import { median } from './lib/report.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    reps: { type: 'string' },
    'measure-ms': { type: 'string' },
    only: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
    // A directory holding another flowgate checkout's src/ (e.g. `git archive main src | tar -x -C DIR`):
    // its policies run as extra `base:` rows, interleaved with this checkout's.
    against: { type: 'string' },
    // Settings to run: '0' (ioredis defaults), '1' (auto-pipelining), or '0,1'.
    settings: { type: 'string' },
    out: { type: 'string' },
  },
});
const quick = args.quick === true;
const reps = Number(args.reps ?? (quick ? 1 : 3));
const measureMs = Number(args['measure-ms'] ?? (quick ? 500 : 1500));
// Only a full run replaces bench/results/redis.md; --out writes any run's report elsewhere.
const write =
  !args['no-write'] && !quick && args.only === undefined && args.settings === undefined && args.against === undefined;

const POLICIES = ['token-bucket', 'leaky-bucket', 'fixed-window', 'sliding-window', 'sliding-log'];
const LABELS: Record<string, string> = {
  ...Object.fromEntries(POLICIES.map((p) => [`flowgate:${p}`, `flowgate ${p}`])),
  rlf: 'rate-limiter-flexible RateLimiterRedis',
  'rate-limit-redis': 'rate-limit-redis (express-rate-limit)',
  ceiling: '(ceiling) bare EVALSHA `return 1`',
};
const against = args.against;
if (against !== undefined) {
  for (const p of POLICIES) LABELS[`base:${p}`] = `flowgate ${p}, base (${against})`;
}
const BASELINE = 'rlf';
const ids = args.only ? args.only.split(',') : Object.keys(LABELS);
const SETTINGS = [
  { id: '0', title: 'ioredis defaults (no auto-pipelining)' },
  { id: '1', title: 'ioredis enableAutoPipelining: true' },
].filter((s) => args.settings === undefined || args.settings.split(',').includes(s.id));

const server = await startRedis();
const admin = new Redis(server.url);
const version = /redis_version:(\S+)/.exec(await admin.info('server'))?.[1] ?? '?';

/** samples[setting][id][cell] */
const samples: Record<string, Record<string, Record<string, number[]>>> = {};
const loads: number[] = [];
function record(setting: string, id: string, cell: string, value: number): void {
  samples[setting] ??= {};
  const forSetting = samples[setting];
  forSetting[id] ??= {};
  const forId = forSetting[id];
  forId[cell] ??= [];
  forId[cell].push(value);
}
const started = Date.now();
for (let rep = 0; rep < reps; rep++) {
  for (const setting of SETTINGS) {
    // Rotated each repetition, so no library always runs first or last.
    const order = [...ids.slice(rep % ids.length), ...ids.slice(0, rep % ids.length)];
    for (const id of order) {
      process.stderr.write(`rep ${rep + 1}/${reps}, pipelining ${setting.id}: ${id}\n`);
      // A fresh database per child: no library finds another's keys.
      await admin.flushall();
      loads.push(loadavg()[0] as number);
      const run = spawnSync(
        process.execPath,
        ['--import', 'tsx', join(here, 'lib', 'redis-child.ts'), id, server.url, setting.id, String(measureMs)],
        { cwd: join(here, '..'), encoding: 'utf8', env: { ...process.env, FLOWGATE_BASE: against ?? '' } },
      );
      if (run.status !== 0) throw new Error(`${id} failed:\n${run.stderr}`);
      const cells = JSON.parse(run.stdout.trim().split('\n').at(-1) as string) as Record<string, number>;
      for (const [cell, value] of Object.entries(cells)) record(setting.id, id, cell, value);
    }
  }
}
await admin.quit();
await server.stop();

const med = (setting: string, id: string, cell: string): number | undefined => {
  const values = samples[setting]?.[id]?.[cell];
  return values && values.length > 0 ? median(values) : undefined;
};

const COLUMNS: readonly { cell: string; title: string; latency: boolean }[] = [
  { cell: 'hot-p50', title: 'p50 µs, sequential, hot', latency: true },
  { cell: '10k-p50', title: 'p50 µs, sequential, 10k keys', latency: true },
  { cell: 'hot-x1', title: '1 in flight, hot', latency: false },
  { cell: '10k-x1', title: '1 in flight, 10k keys', latency: false },
  { cell: 'hot-x64', title: '64 in flight, hot', latency: false },
  { cell: '10k-x64', title: '64 in flight, 10k keys', latency: false },
];

function cellText(setting: string, id: string, column: (typeof COLUMNS)[number]): string {
  const value = med(setting, id, column.cell);
  if (value === undefined) return 'n/a';
  const shown = column.latency ? value.toFixed(0) : `${(value / 1000).toFixed(1)}k/s`;
  const base = med(setting, BASELINE, column.cell);
  if (id === BASELINE || base === undefined) return shown;
  // Ratios read "times better than RateLimiterRedis": for latency, its p50 over ours.
  const ratio = column.latency ? base / value : value / base;
  return `${shown} (${ratio.toFixed(2)}×)`;
}

function table(setting: string): string {
  const lines = [
    `| library | ${COLUMNS.map((c) => c.title).join(' | ')} |`,
    `|---|${COLUMNS.map(() => '---:').join('|')}|`,
  ];
  for (const id of ids) lines.push(`| ${LABELS[id]} | ${COLUMNS.map((c) => cellText(setting, id, c)).join(' | ')} |`);
  return lines.join('\n');
}

/** Where the time of the 64-in-flight cells goes, per decision: client CPU, Redis's time in the script calls. */
function costTable(setting: string): string {
  const lines = [
    '| library | client CPU µs/decision, hot | Redis µs/decision, hot | decisions per script call, hot | client CPU µs/decision, 10k keys | Redis µs/decision, 10k keys | decisions per script call, 10k keys |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const id of ids) {
    const cells = ['hot', '10k'].flatMap((k) =>
      ['cpu', 'redis', 'batch'].map((m) => {
        const v = med(setting, id, `${k}-x64-${m}`);
        return v === undefined ? 'n/a' : v.toFixed(m === 'batch' ? 1 : 2);
      }),
    );
    lines.push(`| ${LABELS[id]} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** Each target of the performance issue on the default client options, by the worst flowgate policy. */
function targets(): string {
  const checks: { text: string; cell: string; pass: (ratio: number) => boolean; latency: boolean }[] = [
    { text: 'sequential p50 (hot key) ≤ RateLimiterRedis', cell: 'hot-p50', pass: (r) => r >= 1, latency: true },
    { text: 'sequential p50 (10k keys) ≤ RateLimiterRedis', cell: '10k-p50', pass: (r) => r >= 1, latency: true },
    { text: '1 in flight (10k keys) ≥ 1.0× RateLimiterRedis', cell: '10k-x1', pass: (r) => r >= 1, latency: false },
    { text: '64 in flight, hot key ≥ 2.5× RateLimiterRedis', cell: 'hot-x64', pass: (r) => r >= 2.5, latency: false },
    { text: '64 in flight, 10k keys ≥ 1.5× RateLimiterRedis', cell: '10k-x64', pass: (r) => r >= 1.5, latency: false },
  ];
  const lines: string[] = [];
  for (const check of checks) {
    const base = med('0', BASELINE, check.cell);
    const ratios: string[] = [];
    const misses: string[] = [];
    for (const id of ids.filter((i) => i.startsWith('flowgate:') || i.startsWith('base:'))) {
      const value = med('0', id, check.cell);
      if (value === undefined || base === undefined) continue;
      const ratio = check.latency ? base / value : value / base;
      const name = id.startsWith('base:') ? `${id.slice(5)} (base)` : id.slice(9);
      ratios.push(`${name} ${ratio.toFixed(2)}×`);
      if (!check.pass(ratio)) misses.push(name);
    }
    if (ratios.length === 0) continue;
    lines.push(
      `- ${check.text}: ${misses.length === 0 ? '**met**' : `**missed** by ${misses.join(', ')}`} (${ratios.join(', ')})`,
    );
  }
  return lines.join('\n');
}

const load = median(loads);
const report = `# Redis: flowgate vs peers

Generated by \`npm run bench:redis${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\` (\`bench/redis.ts\`) on ${new Date().toISOString().slice(0, 10)}:
redis-server ${version} on 127.0.0.1 (started by the bench, persistence off), Node ${process.version},
${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores, shared: median 1-minute load average ${load.toFixed(1)} during the run),
${reps} repetition(s) of ${measureMs} ms per cell, ${Math.round((Date.now() - started) / 1000)} s in all.

Every library runs in its own child process (one per library, client setting and repetition, the libraries
interleaved and rotated), with its own ioredis client; the database is flushed before each child. Each cell is
the **median** over the repetitions; the factor is the ratio to rate-limiter-flexible's \`RateLimiterRedis\`
in the same run and setting, oriented so that above 1× means flowgate is better (for latency: its p50 ÷ ours).

${SETTINGS.map(
  (setting) => `## ${setting.title}${setting.id === '0' ? ' — what most users run' : ''}

${table(setting.id)}

64 in flight, per decision (medians): client CPU (\`process.cpuUsage\` of the library's process), Redis's time in its
script calls (\`INFO commandstats\` usec of FCALL/EVALSHA/EVAL), and decisions per script call.

${costTable(setting.id)}
`,
).join('\n')}
## Targets (default client options)

${targets()}

## How it is measured

- Accept path: limits so high nothing is denied (flowgate: limit/capacity 10⁹, 1 h windows; the sliding log,
  limit 100k, keeps a 100 ms window on the hot key). Every call checks it was admitted.
- Keys: the hot key \`hot\`, or \`user:0\` … \`user:9999\` round-robin. Before measuring, every key is created
  once, then 64 in flight and one at a time run for half a cell each (warm-up).
- **Sequential**: one \`await limiter.limit(key)\` (RLF: \`consume\`, rate-limit-redis: \`increment\`) at a time;
  p50 of the per-call latencies, and the calls per second of that loop (the "1 in flight" columns).
- **64 in flight**: 64 async loops calling concurrently for the cell's time; calls per second of wall time.
- The ceiling row is not a limiter: one \`EVALSHA\` of \`return 1\` per call through the same client, the least
  any one-script-per-call library pays here.
- The machine is shared (2 cores, other work running): absolute numbers move between runs, ratios within
  one run much less.
`;

process.stdout.write(`${report}\n`);
if (args.out !== undefined) writeFileSync(args.out, report);
if (write) {
  writeFileSync(join(here, 'results', 'redis.md'), report);
  writeFileSync(join(here, 'results', 'redis.json'), `${JSON.stringify(samples, null, 1)}\n`);
  process.stderr.write('wrote bench/results/redis.md\n');
}
process.exit(0);
