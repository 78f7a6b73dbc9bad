// What an adapter's own per-request path costs, in instructions per call, without
// HTTP: bench/lib/http-adapter-child.ts calls the middleware on real node request and
// response objects, under valgrind (cachegrind), `--small` then `--large` times; the
// difference over the difference in calls is one call, start-up cancelled. Finer than
// bench/http-instructions.ts (no sockets, no framework), so a change of a few hundred
// instructions shows; the cost over `<framework>-base` is the middleware's.
//
//   npm run bench:http:adapter -- --modes express-base,express,koa-base,koa,koa-headers
//   npm run bench:http:adapter -- --against /tmp/fg-base    # and each mode on that tree's src/
//   npm run bench:http:adapter -- --predictable-gc           # node --predictable-gc-schedule
//
// The counts move with the machine's load (V8 sizes and schedules part of its GC work by
// time: ±0.6k on Koa, ±5k on Express at load 8-11). `--predictable-gc` fixes V8's heap
// growing and idle GC: koa-base then gave 9,923 and 9,924 on two trees of the same code,
// under load; the counts are higher (the heap does not grow: more GCs).
//
// Needs valgrind (apt-get install valgrind).

import { spawnSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bundleForNode } from './lib/bundle.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const { values: args } = parseArgs({
  options: {
    modes: { type: 'string', default: 'express-base,express,koa-base,koa,koa-headers' },
    small: { type: 'string', default: '10000' },
    large: { type: 'string', default: '40000' },
    against: { type: 'string' },
    'predictable-gc': { type: 'boolean', default: false },
  },
});
const small = Number(args.small);
const large = Number(args.large);

const bundle = (entry: string, name: string): string => bundleForNode(root, entry, name);
const trees = [{ name: 'this tree', child: bundle(join(here, 'lib', 'http-adapter-child.ts'), 'adapter.mjs') }];
if (args.against !== undefined) {
  // The child, importing the base's src/: copied next to it, bundled from there.
  cpSync(join(here, 'lib', 'http-adapter-child.ts'), join(args.against, 'bench', 'lib', 'http-adapter-child.ts'));
  const entry = join(args.against, 'bench', 'lib', 'http-adapter-child.ts');
  trees.push({ name: args.against, child: bundle(entry, 'adapter-base.mjs') });
}

function instructions(child: string, mode: string, count: number): number {
  const run = spawnSync(
    'valgrind',
    [
      '--tool=cachegrind',
      '--cache-sim=no',
      '--cachegrind-out-file=/dev/null',
      process.execPath,
      '--single-threaded',
      '--hash-seed=1',
      '--random-seed=1',
      ...(args['predictable-gc'] ? ['--predictable-gc-schedule'] : []),
      child,
      mode,
      String(count),
    ],
    { cwd: root, encoding: 'utf8', maxBuffer: 1 << 24 },
  );
  const match = /I\s+refs:\s+([\d,]+)/.exec(run.stderr);
  if (run.status !== 0 || !match) throw new Error(`${mode} ${count}: ${run.stderr.slice(-2000)}`);
  return Number((match[1] as string).replaceAll(',', ''));
}

console.log(`instructions per call (${large} calls minus ${small}, over ${large - small})`);
for (const mode of (args.modes as string).split(',')) {
  for (const { name, child } of trees) {
    const perCall = (instructions(child, mode, large) - instructions(child, mode, small)) / (large - small);
    console.log(`${mode.padEnd(14)} ${Math.round(perCall).toLocaleString('en-US').padStart(9)}  (${name})`);
  }
}
