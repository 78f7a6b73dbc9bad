// Limit-set benchmark: a flowgate limit set of three limits (user, org,
// global; fixed windows, one script per decision) against
// rate-limiter-flexible's RateLimiterUnion of three RateLimiterRedis (fixed
// windows too), and a single-limit flowgate limiter, all on one redis-server
// this script starts, each library in its own child process with an ioredis
// client on default options. Not a test: run `npm run bench:sets`.
//
// Scenarios at 64 in flight: hot (one user, org and global key for every
// request) and spread (10 000 users in 100 orgs, one global key), with limits
// never reached: decisions/s (wall time) and per-call latency p50/p99. Then an
// over-count run with limits that bind (2000 requests, 100 users in 10 orgs;
// org 150/h, global 1000/h): each limit's counters read back, minus the units
// of the admitted requests, is what it counted for denied requests.
// Prints markdown and writes bench/results/limit-sets.md.

import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { startRedis } from '../test/support/redis-server.js';
import type { OvercountResult, Scenario, SubjectId, ThroughputResult } from './lib/sets-child.js';

const run = promisify(execFile);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const OPS = Number(process.env.BENCH_OPS ?? 20_000);
const IN_FLIGHT = 64;
const CHILD = new URL('./lib/sets-child.ts', import.meta.url).pathname;

const LABELS: Record<SubjectId, string> = {
  'flowgate-set': 'flowgate, limit set of 3 (user, org, global)',
  'flowgate-single': 'flowgate, one limit (user)',
  'rlf-union': 'rate-limiter-flexible RateLimiterUnion of 3 RateLimiterRedis',
};
const SUBJECTS: readonly SubjectId[] = ['flowgate-set', 'flowgate-single', 'rlf-union'];
const SCENARIOS: readonly Exclude<Scenario, 'overcount'>[] = ['hot', 'spread'];

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const server = await startRedis();
const admin = new Redis(server.url);

/** Microseconds Redis spent executing commands since the last call (INFO commandstats). */
async function redisMicros(): Promise<number> {
  let total = 0;
  for (const match of (await admin.info('commandstats')).matchAll(/usec=(\d+)/g)) total += Number(match[1]);
  await admin.config('RESETSTAT');
  return total;
}

async function child(id: SubjectId, scenario: Scenario): Promise<string> {
  await admin.flushall();
  await redisMicros();
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', CHILD, id, scenario, server.url, String(OPS), String(IN_FLIGHT)],
    { timeout: 600_000 },
  );
  return stdout;
}

/** Redis CPU per decision: commandstats over the warm-up and the measured run (see sets-child.ts). */
const DECISIONS_PER_RUN = OPS + Math.min(OPS, 4000);
const redisSamples: Record<string, number[]> = {};

const samples: Record<string, ThroughputResult[]> = {};
for (let rep = 0; rep < REPS; rep++) {
  // Rotate the order, so no library always runs first (or last) on a warming machine.
  const order = SUBJECTS.map((_, i) => SUBJECTS[(i + rep) % SUBJECTS.length] as SubjectId);
  for (const scenario of SCENARIOS) {
    for (const id of order) {
      const result = JSON.parse(await child(id, scenario)) as ThroughputResult;
      const key = `${id}/${scenario}`;
      samples[key] = [...(samples[key] ?? []), result];
      redisSamples[key] = [...(redisSamples[key] ?? []), (await redisMicros()) / DECISIONS_PER_RUN];
      console.error(`rep ${rep} ${scenario} ${id}: ${result.decisionsPerSecond.toFixed(0)}/s`);
    }
  }
}
const overcounts: Partial<Record<SubjectId, OvercountResult>> = {};
for (const id of ['flowgate-set', 'rlf-union'] as const) {
  overcounts[id] = JSON.parse(await child(id, 'overcount')) as OvercountResult;
}

const stat = (id: SubjectId, scenario: string, field: keyof ThroughputResult): number =>
  median((samples[`${id}/${scenario}`] ?? []).map((s) => s[field]));

const lines: string[] = [];
const log = (line = ''): void => {
  lines.push(line);
  console.log(line);
};
const version = /redis_version:(\S+)/.exec(await admin.info('server'))?.[1] ?? '';
log('# Limit-set benchmark');
log();
log(
  `redis-server ${version} on 127.0.0.1, node ${process.version}, ioredis with default options, one child process per library and scenario, ` +
    `${IN_FLIGHT} requests in flight, ${OPS} measured decisions per run after a warm-up, medians of ${REPS} runs (wall time; the machine is shared, so compare rows, not runs). ` +
    'Every limit is a fixed window of 1 h, as RateLimiterRedis is. Command: `npm run bench:sets`.',
);
log();
log('## Throughput and latency (limits never reached)');
log();
log(
  '| library | scenario | decisions/s | p50 ms | p99 ms | Redis CPU µs/decision | × one flowgate limit | × RateLimiterUnion |',
);
log('|---|---|---:|---:|---:|---:|---:|---:|');
for (const scenario of SCENARIOS) {
  for (const id of SUBJECTS) {
    const rate = stat(id, scenario, 'decisionsPerSecond');
    log(
      `| ${LABELS[id]} | ${scenario} | ${(rate / 1000).toFixed(1)}k | ${stat(id, scenario, 'p50Ms').toFixed(2)} | ${stat(id, scenario, 'p99Ms').toFixed(2)} | ` +
        `${median(redisSamples[`${id}/${scenario}`] ?? []).toFixed(1)} | ` +
        `${(rate / stat('flowgate-single', scenario, 'decisionsPerSecond')).toFixed(2)}× | ${(rate / stat('rlf-union', scenario, 'decisionsPerSecond')).toFixed(2)}× |`,
    );
  }
}
log();
log(
  'hot: every request is user u0, org o0, global all. spread: 10 000 users in 100 orgs, one global key. ' +
    'Redis CPU: the time Redis spent executing commands (INFO commandstats) per decision, warm-up included: ' +
    'what a Redis saturated by this traffic would divide its second by.',
);
log();
log('## Units counted for denied requests (limits that bind)');
log();
log(
  "2000 requests at 64 in flight, 100 users in 10 orgs, limits user 30/h, org 150/h, global 1000/h. Over-count: the units a limit's counters hold after the run minus the units of the admitted requests (each admitted request spends 1 in every limit).",
);
log();
log('| library | admitted | user | org | global |');
log('|---|---:|---:|---:|---:|');
for (const id of ['flowgate-set', 'rlf-union'] as const) {
  const o = overcounts[id] as OvercountResult;
  log(
    `| ${LABELS[id]} | ${o.admitted} of ${o.requests} | ${o.overcount.user} | ${o.overcount.org} | ${o.overcount.global} |`,
  );
}
log();
const worst = (of: SubjectId): number =>
  Math.min(...SCENARIOS.map((s) => stat('flowgate-set', s, 'decisionsPerSecond') / stat(of, s, 'decisionsPerSecond')));
const vsSingle = worst('flowgate-single');
const vsUnion = worst('rlf-union');
const flowOver = Object.values((overcounts['flowgate-set'] as OvercountResult).overcount);
log('## Targets');
log();
log(
  `- limit set of 3 ≥ 0.8× one flowgate limit (worse of hot / spread): ${vsSingle.toFixed(2)}× — ${vsSingle >= 0.8 ? 'met' : 'NOT met'}`,
);
log(
  `- limit set of 3 ≥ 2.5× RateLimiterUnion of 3 (worse of hot / spread): ${vsUnion.toFixed(2)}× — ${vsUnion >= 2.5 ? 'met' : 'NOT met'}`,
);
log(
  `- flowgate counts nothing for denied requests: ${flowOver.every((x) => x === 0) ? 'met (0 in every limit)' : `NOT met (${flowOver.join(', ')})`}`,
);

writeFileSync(new URL('./results/limit-sets.md', import.meta.url), `${lines.join('\n')}\n`);
admin.disconnect();
await server.stop();
process.exit(0);
