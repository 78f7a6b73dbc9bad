// What listening costs, in machine instructions per decision: the measure
// that a loaded machine does not change (bench/observe.ts measures time).
// Each configuration runs under valgrind (cachegrind, no cache simulation)
// twice, with `--small` and `--large` decisions; the difference in
// instructions over the difference in decisions is the cost of one decision,
// start-up and loading cancelled. V8 runs single-threaded so that its
// background compilation and GC land in the count the same way every run.
// Counts repeat within about 2%.
//
//   npm run bench:observe:instructions                  # memory store; builds dist/ first
//   npm run bench:observe:instructions -- --redis       # and the Redis path (slow: minutes per configuration)
//
// Needs valgrind (apt-get install valgrind).

import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startRedis } from '../test/support/redis-server.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const { values: args } = parseArgs({
  options: {
    redis: { type: 'boolean', default: false },
    small: { type: 'string', default: '20000' },
    large: { type: 'string', default: '220000' },
    'redis-small': { type: 'string', default: '5000' },
    'redis-large': { type: 'string', default: '25000' },
  },
});

execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
const dist = join(root, 'dist');

function instructions(path: string, exporter: string, count: number, url: string): number {
  const run = spawnSync(
    'valgrind',
    [
      '--tool=cachegrind',
      '--cache-sim=no',
      '--smc-check=all-non-file',
      '--cachegrind-out-file=/dev/null',
      process.execPath,
      '--single-threaded',
      join(here, 'lib', 'observe-count-child.mjs'),
      dist,
      path,
      exporter,
      String(count),
      url,
    ],
    { cwd: root, encoding: 'utf8', maxBuffer: 1 << 24 },
  );
  const match = /I\s+refs:\s+([\d,]+)/.exec(run.stderr);
  if (run.status !== 0 || !match) throw new Error(`${path} ${exporter} ${count}: ${run.stderr.slice(-2000)}`);
  return Number((match[1] as string).replaceAll(',', ''));
}

const server = args.redis ? await startRedis() : undefined;
const rows: string[] = [];
try {
  for (const path of args.redis ? ['memory', 'redis'] : ['memory']) {
    const small = Number(path === 'memory' ? args.small : args['redis-small']);
    const large = Number(path === 'memory' ? args.large : args['redis-large']);
    let base = Number.NaN;
    for (const exporter of ['none', 'otel', 'prometheus']) {
      process.stderr.write(`${path} ${exporter}\n`);
      const url = server?.url ?? '';
      const perDecision =
        (instructions(path, exporter, large, url) - instructions(path, exporter, small, url)) / (large - small);
      if (exporter === 'none') base = perDecision;
      const extra =
        exporter === 'none'
          ? ''
          : `+${(perDecision - base).toFixed(0)} (+${((perDecision / base - 1) * 100).toFixed(1)}%)`;
      rows.push(`| ${path} | ${exporter} | ${perDecision.toFixed(0)} | ${extra} |`);
    }
  }
} finally {
  await server?.stop();
}
process.stdout.write(
  [
    `Instructions per decision (valgrind cachegrind, Node ${process.version}, node --single-threaded):`,
    '',
    '| path | listening | instructions per decision | over no subscriber |',
    '|---|---|---:|---:|',
    ...rows,
    '',
  ].join('\n'),
);
