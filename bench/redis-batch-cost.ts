// What one decision costs inside Redis on fixed batches: callgrind's instructions per decision for
// CALLS script calls of BATCH requests each, sent exactly as RedisStore sends a batch on the server's
// TIME (the expiry encoding, packed replies, the limits as one string). Unlike bench/redis-cost.ts,
// whose batches are whatever the client happens to gather, every run sends the same calls, so each
// lever in the Lua is measured on identical input (runs repeat within about 0.1k).
// Not a test: `node --import tsx bench/redis-batch-cost.ts [--calls 40] [--batch 32] [--only <case>] [--eval]`.
//
// Cases, per policy: `spread` (CALLS * BATCH keys, each decided once before counting, then each once
// more), `hot` (every request on one key: KEYS once, 'E32'); and `set3 spread` (three fixed windows,
// user/org/global, bench/limit-sets.ts's users in 100 orgs). --eval sends EVALSHA instead of FCALL.

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { fixedWindow, leakyBucket, type Policy, slidingLog, slidingWindow, tokenBucket } from '../src/index.js';
import { algorithmTag } from '../src/stores/redis/keys.js';
import { LIBRARY, scriptFor } from '../src/stores/redis/scripts.js';
import { freePort } from '../test/support/redis-server.js';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '40' },
    batch: { type: 'string', default: '32' },
    only: { type: 'string' },
    eval: { type: 'boolean', default: false },
  },
});
const CALLS = Number(values.calls);
const BATCH = Number(values.batch);
const HIGH = 1_000_000_000;

/** bench/redis-cost.ts's policies (the sliding log's spread window, 1 h). */
const POLICIES: Record<string, Policy> = {
  'token-bucket': tokenBucket({ capacity: HIGH, refillPerSecond: 1_000_000 }),
  'leaky-bucket': leakyBucket({ capacity: HIGH, leakPerSecond: 1_000_000 }),
  'fixed-window': fixedWindow({ limit: HIGH, window: '1h' }),
  'sliding-window': slidingWindow({ limit: HIGH, window: '1h' }),
  'sliding-log': slidingLog({ limit: 100_000, window: '1h' }),
};

/** A limit as RedisStore describes it in ARGV[5]: `code,p1,p2,p3,s;`. */
function described(policy: Policy): string {
  const params = policy.params.map((value) => String(value));
  while (params.length < 3) params.push('');
  return `${[algorithmTag(policy), ...params, ''].join(',')};`;
}

const dir = mkdtempSync(join(tmpdir(), 'redis-batch-cost-'));
const port = await freePort();
const server = spawn(
  'valgrind',
  [
    '--tool=callgrind',
    `--callgrind-out-file=${join(dir, 'cg.out')}`,
    'redis-server',
    ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--hz', '1'],
    ...['--enable-debug-command', 'yes'],
  ],
  { stdio: 'ignore' },
);
process.on('exit', () => server.kill('SIGKILL'));
for (let attempt = 0; ; attempt++) {
  try {
    if (execFileSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8', stdio: 'pipe' }).includes('PONG'))
      break;
  } catch {}
  if (attempt > 300) throw new Error('redis-server did not start');
  await new Promise((resolve) => setTimeout(resolve, 100));
}
const client = new Redis({ port, host: '127.0.0.1' });
await client.call('FUNCTION', 'LOAD', 'REPLACE', LIBRARY.code);
// No active expiry: the server's cron would sample the keys of earlier cases while a case is counted
// (about ±1k a decision from run to run).
await client.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0');

/** One script call as RedisStore sends it on the server's TIME (see lua/prelude.lua.ts). */
async function send(codes: string[], limits: string, keys: string[], repeats?: number): Promise<void> {
  const args = ['', repeats === undefined ? 'E' : `E${repeats}`, '0', '', limits];
  if (values.eval) {
    const script = scriptFor(codes);
    await client.evalsha(script.sha, keys.length, ...keys, ...args).catch(async () => {
      await client.eval(script.text, keys.length, ...keys, ...args);
    });
  } else {
    await client.call('FCALL', LIBRARY.name, String(keys.length), ...keys, ...args);
  }
}

async function instructions(run: () => Promise<void>): Promise<number> {
  execFileSync('callgrind_control', ['-z', String(server.pid)], { stdio: 'ignore' });
  await run();
  const before = new Set(readdirSync(dir));
  execFileSync('callgrind_control', ['-d', String(server.pid)], { stdio: 'ignore' });
  const dumped = readdirSync(dir).find((name) => !before.has(name));
  const text = dumped === undefined ? '' : readFileSync(join(dir, dumped), 'utf8');
  const total = /^(?:summary|totals): (\d+)/m.exec(text);
  if (!total) throw new Error('no callgrind totals');
  return Number(total[1]);
}

async function measure(label: string, calls: (() => Promise<void>)[]): Promise<void> {
  if (values.only !== undefined && !label.includes(values.only)) return;
  await client.flushall();
  // Once before counting: every key exists (and EVALSHA's script is cached).
  for (const call of calls) await call();
  const ir = await instructions(async () => {
    for (const call of calls) await call();
  });
  process.stdout.write(`| ${label} | ${(ir / (CALLS * BATCH) / 1000).toFixed(1)}k |\n`);
}

process.stdout.write(`| case (${CALLS} calls of ${BATCH}) | instructions / decision |\n|---|---:|\n`);
for (const [name, policy] of Object.entries(POLICIES)) {
  const codes = [algorithmTag(policy)];
  const limits = described(policy);
  const spread = Array.from({ length: CALLS }, (_, c) => {
    const keys = Array.from({ length: BATCH }, (_, i) => `spread:${name}:${c * BATCH + i}`);
    return () => send(codes, limits, keys);
  });
  await measure(`${name} spread`, spread);
  const hot = [`hot:${name}`];
  await measure(
    `${name} hot`,
    Array.from({ length: CALLS }, () => () => send(codes, limits, hot, BATCH)),
  );
}
const window = fixedWindow({ limit: HIGH, window: '1h' });
const set3 = described(window).repeat(3);
const set3Calls = Array.from({ length: CALLS }, (_, c) => {
  const keys = Array.from({ length: BATCH }, (_, i) => {
    const user = c * BATCH + i;
    return [`set3:u:${user}`, `set3:o:${user % 100}`, 'set3:g:all'];
  }).flat();
  return () => send(['fw'], set3, keys);
});
await measure('set3 spread', set3Calls);

client.disconnect();
server.kill('SIGKILL');
if (process.env.KEEP_CALLGRIND === undefined) rmSync(dir, { recursive: true, force: true });
else process.stderr.write(`callgrind dumps kept in ${dir}\n`);
