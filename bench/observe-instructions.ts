// What listening costs, in machine instructions per decision: the measure
// that a loaded machine does not change (bench/observe.ts measures time).
//
// Memory store: each configuration runs under valgrind (cachegrind, no cache
// simulation) twice, with `--small` and `--large` decisions; the difference in
// instructions over the difference in decisions is the cost of one decision,
// start-up and loading cancelled. V8 runs single-threaded so that its
// background compilation and GC land in the count the same way every run.
// Counts repeat within about 2%.
//
// Redis: each configuration runs once per repetition under callgrind, Node
// `--single-threaded --hash-seed=1 --random-seed=1 --predictable-gc-schedule`,
// in rounds of 64 calls made in one job and awaited together (so every round
// is batched the same way: see bench/lib/observe-count-child.mjs); callgrind
// zeroes its counts after `--redis-warm` decisions and dumps them after
// `--redis-total`: instructions per measured decision, in one process, as
// bench/http-instructions.ts counts requests. Two processes differenced, 64
// workers re-entering as their replies came and V8's time-driven GC made two
// runs of one configuration disagree by 3-4k instructions per decision
// (2026-12-03); this way they agree within about 1% (see the results file).
//
//   npm run bench:observe:instructions                  # memory store; builds dist/ first
//   npm run bench:observe:instructions -- --redis       # and the Redis path (~1.5 min of CPU per repetition)
//   npm run bench:observe:instructions -- --redis-only --reps 2 --against /tmp/fg-base/dist --no-write
//
// `--against DIST` also runs each Redis configuration on another build (e.g.
// main's: `git archive main | tar -x -C /tmp/fg-base`, `npx tsup` there with
// node_modules linked), as `<exporter>@base`, in the same run. `--timeout-ms N`
// gives the limiter a timeout (default none: Infinity, so that the slowed
// process never times out; a finite one far above what a call takes under
// valgrind measures the default configuration's path, where every call's
// deadline already reads the clock).
//
// Writes bench/results/observe-instructions.md (unless --no-write).
//
// Needs valgrind (apt-get install valgrind).

import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startRedis } from '../test/support/redis-server.js';
import { countInstructions } from './lib/cachegrind.js';
import { callgrindWindowArgs, windowInstructions } from './lib/callgrind-window.js';
import { median } from './lib/report.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const { values: args } = parseArgs({
  options: {
    redis: { type: 'boolean', default: false },
    'redis-only': { type: 'boolean', default: false },
    small: { type: 'string', default: '20000' },
    large: { type: 'string', default: '220000' },
    'redis-warm': { type: 'string', default: '12800' },
    'redis-total': { type: 'string', default: '38400' },
    reps: { type: 'string', default: '2' },
    jobs: { type: 'string', default: '2' },
    only: { type: 'string' },
    against: { type: 'string' },
    'timeout-ms': { type: 'string' },
    'no-write': { type: 'boolean', default: false },
  },
});
const command = `npm run bench:observe:instructions${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
const withRedis = args.redis || args['redis-only'];
const exporters = args.only?.split(',') ?? ['none', 'otel', 'prometheus'];

execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
const dist = join(root, 'dist');
const child = join(here, 'lib', 'observe-count-child.mjs');
const load1 = () => loadavg()[0]?.toFixed(1) ?? '?';
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');

const rows: string[] = [];
if (!args['redis-only']) {
  const small = Number(args.small);
  const large = Number(args.large);
  let base = Number.NaN;
  for (const exporter of exporters) {
    process.stderr.write(`memory ${exporter}\n`);
    const count = (n: number) => countInstructions(root, child, [dist, 'memory', exporter, String(n)]);
    const perDecision = (count(large) - count(small)) / (large - small);
    if (exporter === 'none') base = perDecision;
    const extra =
      exporter === 'none'
        ? ''
        : `+${(perDecision - base).toFixed(0)} (+${((perDecision / base - 1) * 100).toFixed(1)}%)`;
    rows.push(`| memory | ${exporter} | ${fmt(perDecision)} |  | ${extra} |`);
  }
}

/** The instructions of the measured Redis decisions of one configuration on `build`. */
async function redisInstructions(build: string, exporter: string, url: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'fg-observe-instr-'));
  try {
    const timeout = args['timeout-ms'] === undefined ? [] : [args['timeout-ms']];
    const run = spawn(
      'valgrind',
      [
        ...callgrindWindowArgs(join(dir, 'out'), { predictableGc: true }),
        // The child collects fully before its measured rounds (see bench/lib/observe-count-child.mjs).
        '--expose-gc',
        child,
        build,
        'redis',
        exporter,
        args['redis-warm'] as string,
        args['redis-total'] as string,
        url,
        ...timeout,
      ],
      { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let err = '';
    run.stderr.setEncoding('utf8');
    run.stderr.on('data', (chunk: string) => {
      err += chunk;
    });
    const [code] = await once(run, 'exit');
    // Dump 1: from the zero to the dump; the last, at exit, the rest.
    const count = windowInstructions(dir);
    if (code !== 0 || count === undefined) throw new Error(`redis ${exporter}: exit ${code}: ${err.slice(-2000)}`);
    return count;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const loads = [`start ${load1()}`];
if (withRedis) {
  const server = await startRedis();
  const measured = Number(args['redis-total']) - Number(args['redis-warm']);
  const configs = exporters.flatMap((e) => (args.against === undefined ? [e] : [e, `${e}@base`]));
  const reps = Number(args.reps);
  const perDecision: Record<string, number[]> = Object.fromEntries(configs.map((c) => [c, []]));
  const tasks = Array.from({ length: reps }, () => configs).flat();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const config = tasks[next++] as string;
      const exporter = config.replace(/@base$/, '');
      const build = config === exporter ? dist : (args.against as string);
      const value = (await redisInstructions(build, exporter, server.url)) / measured;
      perDecision[config]?.push(value);
      process.stderr.write(`redis ${config.padEnd(16)} ${fmt(value)} per decision (load ${load1()})\n`);
    }
  };
  try {
    await Promise.all(Array.from({ length: Number(args.jobs) }, worker));
  } finally {
    await server.stop();
  }
  for (const config of configs) {
    const values = perDecision[config] as number[];
    const none = perDecision[config.endsWith('@base') ? 'none@base' : 'none'];
    const med = median(values);
    const spread = `${fmt(Math.min(...values))} … ${fmt(Math.max(...values))} (${(((Math.max(...values) - Math.min(...values)) / med) * 100).toFixed(1)}%)`;
    const extra =
      none === undefined || config.startsWith('none')
        ? ''
        : `+${fmt(med - median(none))} (+${((med / median(none) - 1) * 100).toFixed(1)}%)`;
    rows.push(`| redis | ${config} | ${fmt(med)} | ${spread} | ${extra} |`);
  }
}
loads.push(`end ${load1()}`);

const report = [
  '# What observing a limiter costs, in instructions',
  '',
  `Generated by \`${command}\` (\`bench/observe-instructions.ts\`) on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC,`,
  `Node ${process.version}; load average ${loads.join(', ')} (instruction counts do not depend on the load).`,
  args['redis-only']
    ? ''
    : `Memory store (one key, one call at a time): valgrind cachegrind, \`--single-threaded\`, the difference between runs of ${args.small} and ${args.large} decisions.`,
  withRedis
    ? `Redis (1000 keys, rounds of 64 calls made together; \`timeoutMs: ${args['timeout-ms'] ?? 'Infinity'}\`): valgrind callgrind, \`--single-threaded --hash-seed=1 --random-seed=1 --predictable-gc-schedule\`, decisions ${args['redis-warm']} to ${args['redis-total']} of one process, ${args.reps} repetitions (median; min … max and spread).`
    : '',
  'No collection in between: the cost of listening per decision.',
  '',
  '| path | listening | instructions per decision | min … max (Redis) | over no subscriber |',
  '|---|---|---:|---:|---:|',
  ...rows,
  '',
].join('\n');
process.stdout.write(report);
if (!args['no-write']) writeFileSync(join(here, 'results', 'observe-instructions.md'), report);
