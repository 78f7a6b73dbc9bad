// What one decision costs inside Redis, per policy and case: instructions per
// decision counted by callgrind (with --callgrind; deterministic, so it holds
// on a loaded machine) or Redis's own usec per decision (INFO commandstats).
// Client CPU: this process's user+system time per decision (process.cpuUsage).
// Not a test: run `npm run bench:redis-cost [-- --callgrind] [--calls N] [--only <case>] [--encoding value]`.
//
// Cases: `lone` (one limit() at a time on a hot key: what a sequential caller
// pays; `lone, deadline` with a finite timeoutMs, so each call carries its
// deadline, as in bench/redis.ts), `hot64` (64 in flight on one key: batches share a script call),
// `spread64` (64 in flight over 10k keys, each created before counting, the
// sliding log with a 1 h window: bench/redis.ts's 10k-keys cell),
// `set3-hot64` (a set of 3 fixed windows, user/org/global, 64 in flight on one
// key each), `set3 spread64` (that set over 10 000 users in 100 orgs and one
// global key: bench/limit-sets.ts's spread scenario) and rate-limiter-flexible's
// RateLimiterRedis one at a time.

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import {
  fixedWindow,
  leakyBucket,
  type Policy,
  RateLimiter,
  slidingLog,
  slidingWindow,
  tokenBucket,
} from '../src/index.js';
import { RedisStore, type StateEncoding } from '../src/stores/redis/index.js';
import { freePort } from '../test/support/redis-server.js';

const { values } = parseArgs({
  options: {
    callgrind: { type: 'boolean', default: false },
    calls: { type: 'string', default: '400' },
    only: { type: 'string' },
    encoding: { type: 'string', default: 'auto' },
  },
});
const CALLS = Number(values.calls);
const HIGH = 1_000_000_000;

/** The policies of bench/lib/redis-child.ts; `hot`: the hot-key configuration where it differs. */
const POLICIES: Record<string, (hot: boolean) => Policy> = {
  'token-bucket': () => tokenBucket({ capacity: HIGH, refillPerSecond: 1_000_000 }),
  'leaky-bucket': () => leakyBucket({ capacity: HIGH, leakPerSecond: 1_000_000 }),
  'fixed-window': () => fixedWindow({ limit: HIGH, window: '1h' }),
  'sliding-window': () => slidingWindow({ limit: HIGH, window: '1h' }),
  'sliding-log': (hot) => slidingLog({ limit: 100_000, window: hot ? '100ms' : '1h' }),
};
const SPREAD = Array.from({ length: 10_000 }, (_, i) => `user:${i}`);

const dir = mkdtempSync(join(tmpdir(), 'redisperf-cost-'));
const port = await freePort();
// hz 1: the server's cron (10 times a second by default) would add a load-dependent share to each slow, instrumented call.
const serverArgs = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--hz', '1'];
const server = values.callgrind
  ? spawn(
      'valgrind',
      ['--tool=callgrind', `--callgrind-out-file=${join(dir, 'cg.out')}`, 'redis-server', ...serverArgs],
      {
        stdio: 'ignore',
      },
    )
  : spawn('redis-server', serverArgs, { stdio: 'ignore' });
// A run that fails (a timeout, a denied call) must not leave an instrumented server behind.
process.on('exit', () => server.kill('SIGKILL'));
for (let attempt = 0; ; attempt++) {
  try {
    if (execFileSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).includes('PONG')) break;
  } catch {}
  if (attempt > 300) throw new Error('redis-server did not start');
  await new Promise((resolve) => setTimeout(resolve, 100));
}
const admin = new Redis({ port, host: '127.0.0.1' });

/** Starts counting (callgrind: zeroes its counters; commandstats: resets them). */
async function zero(): Promise<void> {
  if (values.callgrind) execFileSync('callgrind_control', ['-z', String(server.pid)], { stdio: 'ignore' });
  await admin.config('RESETSTAT');
}

/** Instructions (callgrind) and usec (commandstats) since zero(), per decision. */
async function counted(decisions: number): Promise<{ ir: number | undefined; usec: number }> {
  let usec = 0;
  for (const match of (await admin.info('commandstats')).matchAll(/cmdstat_(\w+):calls=\d+,usec=(\d+)/g)) {
    if (match[1] !== 'info' && match[1] !== 'config') usec += Number(match[2]);
  }
  let ir: number | undefined;
  if (values.callgrind) {
    const before = new Set(readdirSync(dir));
    execFileSync('callgrind_control', ['-d', String(server.pid)], { stdio: 'ignore' });
    const dumped = readdirSync(dir).find((name) => !before.has(name));
    const text = dumped === undefined ? '' : readFileSync(join(dir, dumped), 'utf8');
    const total = /^(?:summary|totals): (\d+)/m.exec(text);
    ir = total ? Number(total[1]) : undefined;
  }
  return { ir: ir === undefined ? undefined : ir / decisions, usec: usec / decisions };
}

type Call = () => Promise<unknown>;

/** `warm`: calls made before counting, 64 in flight (default: 50 calls, one at a time). */
async function measure(label: string, call: Call, inFlight: number, warm?: number): Promise<void> {
  if (values.only !== undefined && !label.includes(values.only)) return;
  if (warm === undefined) {
    for (let i = 0; i < 50; i++) await call();
  } else {
    let made = 0;
    const warmer = async (): Promise<void> => {
      while (made++ < warm) await call();
    };
    await Promise.all(Array.from({ length: 64 }, warmer));
  }
  await zero();
  const cpu = process.cpuUsage();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next++ < CALLS) await call();
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const spent = process.cpuUsage(cpu);
  const { ir, usec } = await counted(CALLS);
  const irText = ir === undefined ? '' : ` | ${(ir / 1000).toFixed(1)}k`;
  const clientUsec = (spent.user + spent.system) / CALLS;
  process.stdout.write(`| ${label} | ${inFlight}${irText} | ${usec.toFixed(2)} | ${clientUsec.toFixed(1)} |\n`);
}

const client = new Redis({ port, host: '127.0.0.1' });
process.stdout.write(
  `| case | in flight${values.callgrind ? ' | instructions / decision' : ''} | Redis usec / decision | client CPU usec / decision |\n|---|---:|${values.callgrind ? '---:|' : ''}---:|---:|\n`,
);
for (const [name, policy] of Object.entries(POLICIES)) {
  const made = (hot: boolean, timeoutMs = Number.POSITIVE_INFINITY): RateLimiter =>
    new RateLimiter({
      policy: policy(hot),
      store: new RedisStore({ client, encoding: values.encoding as StateEncoding }),
      prefix: hot ? 'flowgate' : 'spread',
      onStoreError: 'throw',
      timeoutMs,
    });
  const limiter = made(true);
  await measure(`${name} lone`, () => limiter.limit('hot'), 1);
  // With a finite timeout (bench/redis.ts runs the default, 1000 ms) every call carries its deadline.
  const timed = made(true, 60_000);
  await measure(`${name} lone, deadline`, () => timed.limit('hot'), 1);
  await measure(`${name} hot64`, () => limiter.limit('hot'), 64);
  const spread = made(false);
  let next = 0;
  // Every key once before counting (the warm-up), then round-robin: a steady state of existing keys.
  await measure(`${name} spread64`, () => spread.limit(SPREAD[next++ % SPREAD.length] as string), 64, SPREAD.length);
}
const set = new RateLimiter({
  limits: {
    user: fixedWindow({ limit: HIGH, window: '1h' }),
    org: fixedWindow({ limit: HIGH, window: '1h' }),
    global: fixedWindow({ limit: HIGH, window: '1h' }),
  },
  store: new RedisStore({ client, encoding: values.encoding as StateEncoding }),
  prefix: 'set3',
  onStoreError: 'throw',
  timeoutMs: Number.POSITIVE_INFINITY,
});
await measure('set3 lone', () => set.limit({ user: 'u0', org: 'o0', global: 'all' }), 1);
await measure('set3 hot64', () => set.limit({ user: 'u0', org: 'o0', global: 'all' }), 64);
// bench/limit-sets.ts's spread scenario: 10 000 users in 100 orgs (user n in org n % 100), one global key;
// every user once before counting, then round-robin.
let nextUser = 0;
await measure(
  'set3 spread64',
  () => {
    const user = nextUser++ % 10_000;
    return set.limit({ user: `u${user}`, org: `o${user % 100}`, global: 'all' });
  },
  64,
  10_000,
);
const rlf = new RateLimiterRedis({ storeClient: client, keyPrefix: 'rlf', points: HIGH, duration: 3600 });
await measure('rate-limiter-flexible lone', () => rlf.consume('hot'), 1);
await measure('rate-limiter-flexible hot64', () => rlf.consume('hot'), 64);

client.disconnect();
admin.disconnect();
server.kill('SIGKILL');
if (process.env.KEEP_CALLGRIND === undefined) rmSync(dir, { recursive: true, force: true });
else process.stderr.write(`callgrind dumps kept in ${dir}\n`);
