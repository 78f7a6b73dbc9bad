// How long an unrelated command waits while one client hammers its own full
// sliding log: 256 concurrent over-limit requests at a time on one key, at
// limits 1 000 / 10 000 / 100 000, against one redis-server this script
// starts. The attacker runs in a child process; this process sends PING on
// its own connection, one after another, and records each round trip. A
// second attacker row replays what the script did before (read the whole
// list per request) for comparison. Not a test: `npm run bench:stall`.
// Prints markdown and writes bench/results/sliding-log-stall.md.

import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { RateLimiter, slidingLog } from '../src/index.js';
import { RedisStore } from '../src/stores/redis/index.js';
import { startRedis } from '../test/support/redis-server.js';

const LIMITS = (process.env.STALL_LIMITS ?? '1000,10000,100000').split(',').map(Number);
const SECONDS = Number(process.env.STALL_SECONDS ?? 3);
const WINDOW_MS = 3_600_000;

type Mode = 'flowgate' | 'whole-list';

if (process.argv[2] === 'attack') {
  // Child: hammer the key until told to stop.
  const [, , , url, key, limit, mode] = process.argv as string[];
  const client = new Redis(url as string);
  const limiter = new RateLimiter({
    policy: slidingLog({ limit: Number(limit), window: WINDOW_MS }),
    store: new RedisStore({ client }),
    timeoutMs: Infinity,
  });
  const redisKey = `{flowgate:${key}}:sl:${WINDOW_MS}`;
  const once = (): Promise<unknown> =>
    mode === 'whole-list'
      ? client.eval("return #redis.call('LRANGE', KEYS[1], 0, -1)", 1, redisKey)
      : limiter.limit(key as string);
  let running = true;
  let requests = 0;
  process.on('message', () => {
    running = false;
  });
  process.send?.('ready');
  while (running) {
    await Promise.all(Array.from({ length: 256 }, once));
    requests += 256;
  }
  client.disconnect();
  process.send?.(requests);
  process.exit(0);
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

/** PING round trips (ms), one after another, for `seconds`. */
async function pings(client: Redis, seconds: number): Promise<number[]> {
  const samples: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const start = performance.now();
    await client.ping();
    samples.push(performance.now() - start);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return samples.sort((a, b) => a - b);
}

async function fill(url: string, key: string, limit: number): Promise<void> {
  const client = new Redis(url);
  // Entries 1 ms apart, ending now: all within the hour's window.
  const start = Date.now() - limit;
  let now = start;
  const limiter = new RateLimiter({
    policy: slidingLog({ limit, window: WINDOW_MS }),
    store: new RedisStore({ client, maxInFlight: 10_000 }),
    clock: () => now,
    timeoutMs: Infinity,
  });
  for (let from = 0; from < limit; from += 1000) {
    await Promise.all(
      Array.from({ length: Math.min(1000, limit - from) }, (_, i) => {
        now = start + from + i;
        return limiter.limit(key);
      }),
    );
  }
  client.disconnect();
}

async function attack(url: string, key: string, limit: number, mode: Mode, probe: Redis) {
  const child = fork(new URL(import.meta.url).pathname, ['attack', url, key, String(limit), mode], {
    execArgv: ['--import', 'tsx'],
  });
  await new Promise((resolve) => child.once('message', resolve));
  const samples = await pings(probe, SECONDS);
  const done = new Promise<number>((resolve) => child.once('message', (m) => resolve(Number(m))));
  child.send('stop');
  const requests = await done;
  return { samples, requestsPerSecond: requests / SECONDS };
}

const server = await startRedis({ own: true });
const probe = new Redis(server.url);
const idle = await pings(probe, 1);
const rows: string[] = [];
for (const limit of LIMITS) {
  for (const mode of ['flowgate', 'whole-list'] as Mode[]) {
    const key = `full-${limit}`;
    await probe.flushdb();
    await fill(server.url, key, limit);
    const { samples, requestsPerSecond } = await attack(server.url, key, limit, mode, probe);
    rows.push(
      `| ${limit.toLocaleString('en-US')} | ${mode === 'flowgate' ? 'flowgate (bounded reads)' : 'whole list per request (before)'} | ${quantile(samples, 0.5).toFixed(2)} | ${quantile(samples, 0.99).toFixed(2)} | ${(samples.at(-1) as number).toFixed(2)} | ${Math.round(requestsPerSecond).toLocaleString('en-US')} |`,
    );
    console.log(rows.at(-1));
  }
}
probe.disconnect();
await server.stop();

const report = `# Sliding log under attack: delay of an unrelated PING

256 concurrent over-limit requests at a time on one full sliding-log key
(window 1 h), from a child process, for ${SECONDS} s per row; this process
sends PING on its own connection, one after another (1 ms apart), and
records each round trip. Idle PING: p50 ${quantile(idle, 0.5).toFixed(2)} ms, p99 ${quantile(idle, 0.99).toFixed(2)} ms.
"Whole list per request" replays what the script did before this change
(\`LRANGE key 0 -1\` for every request, denials included). Produced by
\`npm run bench:stall\` on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}.

| limit (entries) | attacker | PING p50 (ms) | PING p99 (ms) | PING max (ms) | attack requests/s |
|---:|---|---:|---:|---:|---:|
${rows.join('\n')}
`;
writeFileSync(new URL('results/sliding-log-stall.md', import.meta.url), report);
console.log(report);
