// What one Redis decision costs the client, in machine instructions: the
// measure a loaded machine does not change (bench/redis.ts measures time,
// bench/redis-cost.ts the server's side). Each case runs under valgrind
// (cachegrind, no cache simulation) twice, with `--small` and `--large`
// decisions; the difference in instructions over the difference in decisions
// is the client's cost of one decision (the limiter, the batcher, ioredis's
// encoding and reply decoding), start-up cancelled. V8 runs single-threaded
// so that its background compilation and GC land in the count every run.
//
//   npm run bench:redis-client -- [--only <case>] [--small N] [--large N]
//
// Cases: `<policy> hot64` (64 in flight on one key), `<policy> 10k64`
// (64 in flight over 10k keys) and `<policy> lone` (one call at a time on one
// key), the workloads of bench/redis.ts (with its finite timeoutMs), `set3 hot64`
// (a set of three fixed windows, 64 in flight on one key each, as in
// bench/redis-cost.ts) and `rate-limiter-flexible lone` for comparison. Prints a table.
// Needs valgrind (apt-get install valgrind).

import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startRedis } from '../test/support/redis-server.js';
import { countInstructions } from './lib/cachegrind.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    small: { type: 'string', default: '2000' },
    large: { type: 'string', default: '12000' },
  },
});
const POLICIES = ['token-bucket', 'leaky-bucket', 'fixed-window', 'sliding-window', 'sliding-log'];

execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
const dist = join(root, 'dist');

function instructions(policy: string, keys: string, inFlight: number, count: number, url: string): number {
  return countInstructions(root, join(here, 'lib', 'redis-client-count-child.mjs'), [
    dist,
    policy,
    keys,
    String(count),
    url,
    String(inFlight),
  ]);
}

const CASES: [name: string, policy: string, keys: string, inFlight: number][] = [];
for (const policy of POLICIES) {
  CASES.push([`${policy} hot64`, policy, 'hot', 64], [`${policy} 10k64`, policy, '10k', 64]);
  CASES.push([`${policy} lone`, policy, 'hot', 1]);
}
CASES.push(['set3 hot64', 'set3', 'hot', 64]);
CASES.push(['rate-limiter-flexible lone', 'rlf', 'hot', 1]);

const server = await startRedis();
const small = Number(args.small);
const large = Number(args.large);
process.stdout.write('| case | client instructions / decision |\n|---|---:|\n');
try {
  for (const [name, policy, keys, inFlight] of CASES) {
    if (args.only !== undefined && !name.includes(args.only)) continue;
    const perDecision =
      (instructions(policy, keys, inFlight, large, server.url) -
        instructions(policy, keys, inFlight, small, server.url)) /
      (large - small);
    process.stdout.write(`| ${name} | ${(perDecision / 1000).toFixed(2)}k |\n`);
  }
} finally {
  await server.stop();
}
