// What listening costs: the memory store's hot path and the Redis path with no
// subscriber, with flowgate/otel recording (OpenTelemetry SDK, collected every
// second) and with flowgate/prometheus registered (scraped every second). Each
// configuration runs in its own child process per repetition, the
// configurations interleaved (the order rotates every repetition); each cell
// is the median over the repetitions, and the ratio is to "no subscriber".
//
//   npm run bench:observe                                    # writes bench/results/observe.md
//   npm run bench:observe -- --reps 3 --no-write             # quick look
//   npm run bench:observe -- --baseline main                 # adds "no subscriber" rows measured on main's src/

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startRedis } from '../test/support/redis-server.js';
import { median } from './lib/report.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

const { values: args } = parseArgs({
  options: {
    reps: { type: 'string', default: '7' },
    'measure-ms': { type: 'string', default: '1000' },
    'redis-decisions': { type: 'string', default: '60000' },
    baseline: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
  },
});
const reps = Number(args.reps);
const measureMs = Number(args['measure-ms']);
const redisDecisions = Number(args['redis-decisions']);

/** `redis`: ioredis with its default options (what most users run); `redis-pipelined`: `enableAutoPipelining: true`. */
type Path = 'memory' | 'redis' | 'redis-pipelined';
type Exporter = 'none' | 'otel' | 'prometheus';
interface Config {
  readonly id: string;
  readonly path: Path;
  readonly exporter: Exporter;
  /** The source measured: this checkout's, or the baseline's. */
  readonly src: string;
  readonly label: string;
}

const EXPORTERS: Record<Exporter, string> = {
  none: 'no subscriber',
  otel: 'flowgate/otel (OpenTelemetry SDK)',
  prometheus: 'flowgate/prometheus (prom-client)',
};

let baselineDir: string | undefined;
let baselineCommit: string | undefined;
if (args.baseline) {
  // The baseline's src/ exported from git: its "no subscriber" path, measured beside this one.
  baselineCommit = execFileSync('git', ['rev-parse', '--short', args.baseline], { cwd: root, encoding: 'utf8' }).trim();
  baselineDir = mkdtempSync(join(tmpdir(), 'flowgate-baseline-'));
  const archive = execFileSync('git', ['archive', baselineCommit, 'src', 'package.json'], { cwd: root });
  execFileSync('tar', ['-x', '-C', baselineDir], { input: archive });
}

const configs: Config[] = [];
for (const path of ['memory', 'redis', 'redis-pipelined'] as const) {
  if (baselineDir) {
    configs.push({
      id: `${path}-baseline`,
      path,
      exporter: 'none',
      src: join(baselineDir, 'src'),
      label: `no subscriber, ${args.baseline} (${baselineCommit})`,
    });
  }
  for (const exporter of ['none', 'otel', 'prometheus'] as const) {
    configs.push({ id: `${path}-${exporter}`, path, exporter, src: join(root, 'src'), label: EXPORTERS[exporter] });
  }
}

function rotated<T>(items: readonly T[], by: number): T[] {
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

const server = await startRedis();
const samples: Record<string, Record<string, number[]>> = {};
const started = Date.now();
try {
  for (let rep = 0; rep < reps; rep++) {
    for (const config of rotated(configs, rep)) {
      process.stderr.write(`rep ${rep + 1}/${reps}: ${config.id}\n`);
      const measure = config.path === 'memory' ? measureMs : redisDecisions;
      const run = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          join(here, 'lib', 'observe-child.ts'),
          config.src,
          config.path,
          config.exporter,
          String(measure),
          server.url,
        ],
        { cwd: root, encoding: 'utf8', maxBuffer: 1 << 20 },
      );
      if (run.status !== 0) throw new Error(`${config.id} failed:\n${run.stderr}`);
      const result = JSON.parse(run.stdout.trim().split('\n').at(-1) as string) as Record<string, number>;
      samples[config.id] ??= {};
      for (const [column, value] of Object.entries(result)) {
        const forId = samples[config.id] as Record<string, number[]>;
        forId[column] ??= [];
        forId[column].push(value);
      }
    }
  }
} finally {
  await server.stop();
  if (baselineDir) rmSync(baselineDir, { recursive: true, force: true });
}

const med = (id: string, column: string): number => median(samples[id]?.[column] ?? [Number.NaN]);
const ops = (value: number): string =>
  value >= 1e6 ? `${(value / 1e6).toFixed(2)} M/s` : `${(value / 1e3).toFixed(1)} k/s`;
const ratio = (id: string, base: string, column: string): string =>
  `${(med(id, column) / med(base, column)).toFixed(3)}×`;

/** Target: at most this share fewer decisions per second with an exporter subscribed. */
const TARGETS: Record<Path, number> = { memory: 0.15, redis: 0.05, 'redis-pipelined': 0.05 };

function section(path: Path): string {
  const base = `${path}-none`;
  const main = path === 'memory' ? 'decisionsPerCpuSecond' : 'decisionsPerSecond';
  const rows = configs
    .filter((c) => c.path === path)
    .map((c) => {
      const cells = [
        ops(med(c.id, 'decisionsPerCpuSecond')),
        ratio(c.id, base, 'decisionsPerCpuSecond'),
        ops(med(c.id, 'decisionsPerSecond')),
        ratio(c.id, base, 'decisionsPerSecond'),
        med(c.id, 'cpuUsPerDecision').toFixed(3),
      ];
      return `| ${c.label} | ${cells.join(' | ')} |`;
    });
  const verdicts = (['otel', 'prometheus'] as const).map((exporter) => {
    const loss = 1 - med(`${path}-${exporter}`, main) / med(base, main);
    const met = loss <= TARGETS[path];
    return `- ${EXPORTERS[exporter]}: ${(loss * 100).toFixed(1)}% fewer decisions/s (${main === 'decisionsPerSecond' ? 'wall clock' : 'per CPU-second'}); target ≤ ${TARGETS[path] * 100}%: **${met ? 'met' : 'missed'}**`;
  });
  return [
    '| listening | decisions per CPU-second | ratio | decisions per wall second | ratio | CPU µs per decision |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    ...verdicts,
  ].join('\n');
}

const cpu = cpus()[0]?.model ?? 'unknown CPU';
const report = `# What observing a limiter costs

Generated by \`npm run bench:observe\` (\`bench/observe.ts\`) on ${new Date().toISOString().slice(0, 10)}:
Node ${process.version}, ${cpu} (${cpus().length} cores), ${reps} interleaved repetitions per configuration,
${Math.round((Date.now() - started) / 1000)} s in all. Each cell is the **median** over the repetitions; ratios are to
"no subscriber" of the same path.

## Memory store, hot path

One key, every call admitted (token bucket of capacity 10⁹), \`await limiter.limit(key)\` one call at a time,
${measureMs} ms per repetition after a 400 ms warm-up. The target is read per CPU-second of the process (the
machine's other load then changes little).

${section('memory')}

## Redis, ioredis default options

\`RedisStore\` over one ioredis connection with its default options (no auto-pipelining: what most users run)
to a local redis-server, 64 calls in flight over 1000 keys, every call admitted;
${redisDecisions.toLocaleString('en-US')} decisions per repetition after a warm-up.
The target is read in decisions per wall-clock second (what the application gets); the CPU columns are the
benchmark process's own (not Redis's).

${section('redis')}

## Redis, ioredis \`enableAutoPipelining: true\`

The same with auto-pipelining on.

${section('redis-pipelined')}

## How it is measured

- Each configuration runs in a fresh child process per repetition (\`bench/lib/observe-child.ts\`), so no exporter
  warms or pollutes the JIT for another; the order of the configurations rotates every repetition.
- "flowgate/otel": \`recordMetrics(meterProvider)\` on the OpenTelemetry SDK's \`MeterProvider\` with a
  \`PeriodicExportingMetricReader\` collecting every second into an exporter that drops what it gets.
  "flowgate/prometheus": \`registerMetrics(registry)\` on a prom-client \`Registry\` rendered
  (\`registry.metrics()\`) every second. Collection costs are counted.
- With no subscriber, a limiter reads \`hasSubscribers\` once per decision and builds nothing. With only flowgate's
  exporters subscribed, it builds no message either: it calls the exporters' counting sinks directly
  (\`src/observe/recorders.ts\`).${
    baselineDir
      ? `\n- The "${args.baseline}" row is the same measurement on the source of commit ${baselineCommit} (exported with
  \`git archive\`), for the cost of the events code itself when nobody listens.`
      : ''
  }
`;

process.stdout.write(`${report}\n`);
if (!args['no-write']) {
  const out = join(here, 'results', 'observe.md');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, report);
  writeFileSync(join(here, 'results', 'observe.json'), `${JSON.stringify(samples, null, 1)}\n`);
  process.stderr.write(`wrote ${out}\n`);
}
