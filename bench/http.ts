// What the HTTP middleware costs, side by side with the peers, in one run:
// bare Fastify vs Fastify + flowgate (memory, Redis) vs Fastify + @fastify/rate-limit
// (memory, Redis); bare Express vs Express + flowgate vs Express + express-rate-limit;
// bare Koa vs Koa + flowgate vs Koa + koa-ratelimit (memory); bare NestJS (Express
// platform) vs NestJS + flowgate vs NestJS + @nestjs/throttler.
// Every configuration serves from its own child process on 127.0.0.1; autocannon
// loads it from this process with the same connections and duration. Repetitions
// alternate configurations (round-robin) so drift hits all of them alike. Limits are
// far above the load: every request is admitted, so this measures the middleware.
//
//   npm run bench:http                                   # full run, writes bench/results/http.md
//   npm run bench:http -- --reps 1 --duration 2 --no-write   # quick look
//   npm run bench:http -- --only koa+flowgate,koa+koa-ratelimit   # some configurations (and their bare framework)

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { startRedis } from '../test/support/redis-server.js';
import { baseOf, CONFIGS } from './lib/http-configs.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

const { values: args } = parseArgs({
  options: {
    reps: { type: 'string', default: '5' },
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    connections: { type: 'string', default: '50' },
    only: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
  },
});
const reps = Number(args.reps);
const duration = Number(args.duration);
const warmup = Number(args.warmup);
const connections = Number(args.connections);
const only = args.only?.split(',');
const configs = CONFIGS.filter((c) => only === undefined || only.includes(c) || only.some((o) => baseOf(o) === c));

async function startServer(config: string, redisPort: number): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(here, 'lib/http-server.ts'), config, String(redisPort)],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    },
  );
  let out = '';
  child.stdout?.setEncoding('utf8');
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.on('data', (chunk: string) => {
      out += chunk;
      const match = /port (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`${config} exited with ${code} before listening`)));
  });
  return { child, port };
}

function cpuUs(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (m: { cpuUs: number }) => resolve(m.cpuUs));
    child.send('cpu');
  });
}

interface Load {
  rps: number;
  /** Server CPU time (user + system) per completed request, in µs. */
  cpuPerRequest: number;
  non2xx: number;
  errors: number;
}

async function load(child: ChildProcess, port: number, seconds: number): Promise<Load> {
  const before = await cpuUs(child);
  const result = await autocannon({ url: `http://127.0.0.1:${port}/`, connections, duration: seconds });
  const after = await cpuUs(child);
  return {
    rps: result.requests.average,
    cpuPerRequest: (after - before) / result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const redis = await startRedis();
const samples: Record<string, number[]> = Object.fromEntries(CONFIGS.map((c) => [c, []]));
const cpuSamples: Record<string, number[]> = Object.fromEntries(CONFIGS.map((c) => [c, []]));
try {
  for (let rep = 0; rep < reps; rep++) {
    for (const config of configs) {
      const { child, port } = await startServer(config, redis.port);
      try {
        if (warmup > 0) await load(child, port, warmup);
        const { rps, cpuPerRequest, non2xx, errors } = await load(child, port, duration);
        if (non2xx > 0 || errors > 0)
          throw new Error(`${config}: ${non2xx} non-2xx and ${errors} errors; raise the limits`);
        samples[config]?.push(rps);
        cpuSamples[config]?.push(cpuPerRequest);
        console.log(
          `rep ${rep + 1}/${reps}  ${config.padEnd(34)} ${Math.round(rps)} req/s  ${cpuPerRequest.toFixed(1)} µs CPU/req`,
        );
      } finally {
        child.kill('SIGKILL');
        await once(child, 'exit').catch(() => {});
      }
    }
  }
} finally {
  await redis.stop();
}

const rows: string[] = [];
const costOf: Record<string, number> = {};
const cpuCostOf: Record<string, number> = {};
for (const config of configs) {
  const base = baseOf(config);
  const m = median(samples[config] as number[]);
  const b = median(samples[base] as number[]);
  const cpu = median(cpuSamples[config] as number[]);
  const cpuBase = median(cpuSamples[base] as number[]);
  const cost = config === base ? 0 : (1 - m / b) * 100;
  // Throughput cost implied by CPU time: 1 - base / ours.
  const cpuCost = config === base ? 0 : (1 - cpuBase / cpu) * 100;
  costOf[config] = cost;
  cpuCostOf[config] = cpuCost;
  const all = (samples[config] as number[]).map((v) => Math.round(v)).join(', ');
  const dash = config === base;
  rows.push(
    `| ${config} | ${Math.round(m)} | ${dash ? '—' : `${cost.toFixed(1)} %`} | ${cpu.toFixed(1)} | ${dash ? '—' : `${cpuCost.toFixed(1)} %`} | ${all} |`,
  );
}
const ratio = (of: Record<string, number>, ours: string, theirs: string) =>
  (of[ours] ?? Number.NaN) / (of[theirs] ?? Number.NaN);
const verdict = (ours: string, theirs: string) => {
  const r = ratio(costOf, ours, theirs);
  const c = ratio(cpuCostOf, ours, theirs);
  const pass = (x: number) => (x <= 0.5 ? 'meets' : 'misses');
  return `req/s cost ${r.toFixed(2)}× theirs (${pass(r)} the ≤ 0.5× target); CPU-time cost ${c.toFixed(2)}× theirs (${pass(c)})`;
};

const report = `# HTTP middleware benchmark

Generated by \`npm run bench:http\` (bench/http.ts) on ${new Date().toISOString().slice(0, 10)},
Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}.

Each configuration serves \`GET /\` (a small JSON body) from its own child process on
127.0.0.1; autocannon runs in the parent with ${connections} connections for ${duration} s
after a ${warmup} s warm-up. ${reps} repetitions, configurations alternating. Every
limiter is a fixed window of ${'1e9'} per minute keyed by client IP, so every request
is admitted and the numbers are the cost of the middleware (one hot key, 127.0.0.1).
Redis is a throwaway local redis-server (ioredis client). flowgate sends the draft-10
\`RateLimit-Policy\`/\`RateLimit\` headers; the peers send their default headers
(express-rate-limit: \`standardHeaders: 'draft-8'\`, no legacy headers).

| configuration | median req/s | req/s cost vs bare | server CPU µs/req (median) | CPU cost vs bare | all runs (req/s) |
|---|---:|---:|---:|---:|---|
${rows.join('\n')}

req/s cost is \`1 − median / median(bare)\` of the same framework. CPU cost is the same
ratio from the server process's CPU time per request (\`1 − cpu(bare) / cpu\`), which
other load on the machine disturbs less than req/s.

- Fastify, memory: flowgate's ${verdict('fastify+flowgate', 'fastify+@fastify/rate-limit')}.
- Fastify, Redis: flowgate's ${verdict('fastify+flowgate-redis', 'fastify+@fastify/rate-limit-redis')}.
- Express, memory: flowgate's ${verdict('express+flowgate', 'express+express-rate-limit')}.
- Koa, memory: flowgate's ${verdict('koa+flowgate', 'koa+koa-ratelimit')}.
- NestJS (Express platform), memory: flowgate's ${verdict('nestjs+flowgate', 'nestjs+@nestjs/throttler')}.
`;
console.log(`\n${report}`);
if (!args['no-write']) {
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(join(here, 'results', 'http.md'), report);
  console.log('wrote bench/results/http.md');
}
process.exit(0);
