// flowgate serve under a fixed offered load: gRPC ShouldRateLimit (and the same
// requests through POST /json) at a ladder of rates, two descriptors each (per
// user and per route, never over the limit), on memory and on Redis; then, per
// store and generator, the highest offered rate whose p99 stays under 20 ms
// (Envoy's default rate limit timeout) with the rate held. The load generator
// and the service share this machine, so the generator's own CPU counts:
// - h2load (Debian's nghttp2-client, C): one fixed request body (user u1, route
//   /r1), --rps per connection, latency per request from its log (bench/lib/h2load.ts);
// - grpc-js: the service's own client library, 10 000 users, open loop (each
//   request has a scheduled send time and its latency is measured from it, so
//   a stalled service cannot hide its queue);
// - POST /json with node:http, the same open loop.
// Not a test: `npm run bench:serve` (BENCH_SECONDS=5, BENCH_RATES=…,
// BENCH_GENERATORS=h2load,grpc-js,json). Writes bench/results/serve.md.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RlsClient } from '../test/serve/support/grpc-client.js';
import { startRedis } from '../test/support/redis-server.js';
import { grpcBody, h2loadRun, hasH2load } from './lib/h2load.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const RATES = (process.env.BENCH_RATES ?? '1000,2000,3000,4000,5000,6000,8000,10000').split(',').map(Number);
const GENERATORS = (process.env.BENCH_GENERATORS ?? (hasH2load() ? 'h2load,grpc-js,json' : 'grpc-js,json')).split(',');
/** Envoy's default rate limit timeout: the p99 a rate must keep to count as held. */
const P99_BUDGET_MS = 20;
/** h2load: HTTP/2 connections (Envoy keeps a few per worker) and concurrent calls allowed on each. */
const H2_CONNECTIONS = 4;
const H2_STREAMS = 256;
const MAIN = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const USERS = 10_000;

const dir = mkdtempSync(join(tmpdir(), 'serve-bench-'));
const config = join(dir, 'bench.yaml');
writeFileSync(
  config,
  `domain: bench
descriptors:
  - key: user
    rate_limit: { unit: second, requests_per_unit: 1000000, algorithm: token-bucket }
  - key: route
    rate_limit: { unit: minute, requests_per_unit: 1000000000, algorithm: sliding-window }
`,
);

/** CPU seconds (user + system) of process `pid` so far, or of this process's waited-for children with `children`. */
function cpuSeconds(pid: number | 'self', children = false): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  // After the command: utime and stime are fields 12 and 13, cutime and cstime 14 and 15 (0-based), in ticks of 10 ms.
  const at = children ? 13 : 11;
  return (Number(fields[at]) + Number(fields[at + 1])) / 100;
}

async function startServe(
  extra: string[],
): Promise<{ grpc: number; http: number; pid: number; stop(): Promise<void> }> {
  const child = spawn(
    process.execPath,
    [MAIN, 'serve', '--config', config, '--grpc-port', '0', '--http-port', '0', ...extra],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  const ports = await new Promise<{ grpc: number; http: number }>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      const m = /grpc \S+:(\d+) http \S+:(\d+)/.exec(out);
      if (m) resolve({ grpc: Number(m[1]), http: Number(m[2]) });
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
  });
  return {
    ...ports,
    pid: child.pid as number,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

interface Result {
  offered: number;
  achieved: number;
  p50: number;
  p99: number;
  errors: number;
  /** CPU µs per answered call: of the service, and of the load generator. */
  serviceUs?: number;
  generatorUs?: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
}

/** Sends `rate` requests per second for SECONDS, each scheduled on the clock; `send` resolves when answered. */
async function openLoop(rate: number, send: (i: number) => Promise<unknown>): Promise<Result> {
  const total = rate * SECONDS;
  const latencies: number[] = [];
  let errors = 0;
  let sent = 0;
  const start = performance.now();
  const pending: Promise<void>[] = [];
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000));
      for (; sent < due; sent++) {
        const scheduled = start + (sent * 1000) / rate;
        pending.push(
          send(sent).then(
            () => {
              latencies.push(performance.now() - scheduled);
            },
            () => {
              errors++;
            },
          ),
        );
      }
      if (sent < total) setImmediate(tick);
      else resolve();
    };
    tick();
  });
  await Promise.all(pending);
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    offered: rate,
    achieved: Math.round(latencies.length / elapsed),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors,
  };
}

const descriptors = (i: number) => [
  { entries: [{ key: 'user', value: `u${i % USERS}` }] },
  { entries: [{ key: 'route', value: `/r${i % 16}` }] },
];

type Send = (i: number) => Promise<unknown>;

/** The service's count of calls answered otherwise than OK or OVER_LIMIT (errors h2load cannot see). */
async function nonOkCalls(httpPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  let count = 0;
  for (const m of text.matchAll(/^flowgate_serve_requests_total\{[^}]*code="(\w+)"[^}]*\} (\d+)$/gm)) {
    if (m[1] !== 'OK' && m[1] !== 'OVER_LIMIT') count += Number(m[2]);
  }
  return count;
}

interface Row extends Result {
  store: string;
  generator: string;
}

async function bench(store: string, extra: string[]): Promise<Row[]> {
  const rows: Row[] = [];
  const serve = await startServe(extra);
  const client = new RlsClient(serve.grpc);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const postJson: Send = (i) =>
    new Promise((resolve, reject) => {
      const body = JSON.stringify({ domain: 'bench', descriptors: descriptors(i) });
      const req = request(
        {
          host: '127.0.0.1',
          port: serve.http,
          path: '/json',
          method: 'POST',
          agent,
          headers: { 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 200 ? resolve(undefined) : reject(new Error(String(res.statusCode))),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const grpcJs: Send = (i) => client.call('bench', descriptors(i));
  const body = grpcBody(
    'domain: "bench"\ndescriptors { entries { key: "user" value: "u1" } }\ndescriptors { entries { key: "route" value: "/r1" } }\n',
  );
  const h2load = async (rate: number): Promise<Result> => {
    const before = await nonOkCalls(serve.http);
    const r = await h2loadRun({
      port: serve.grpc,
      body,
      rate,
      seconds: SECONDS,
      connections: H2_CONNECTIONS,
      streams: H2_STREAMS,
    });
    const errors = r.failed + (await nonOkCalls(serve.http)) - before;
    return { offered: r.offered, achieved: r.achieved, p50: r.p50, p99: r.p99, errors };
  };
  // Warm up every path used (JIT, connections, scripts loaded).
  if (GENERATORS.includes('grpc-js')) await openLoop(1000, grpcJs);
  if (GENERATORS.includes('json')) await openLoop(500, postJson);
  if (GENERATORS.includes('h2load')) await h2load(1000);
  const runs: [string, (rate: number) => Promise<Result>][] = [];
  if (GENERATORS.includes('h2load')) runs.push(['gRPC (h2load)', h2load]);
  if (GENERATORS.includes('grpc-js')) runs.push(['gRPC (grpc-js)', (rate) => openLoop(rate, grpcJs)]);
  if (GENERATORS.includes('json')) runs.push(['POST /json', (rate) => openLoop(rate, postJson)]);
  for (const [generator, run] of runs) {
    for (const rate of RATES) {
      // h2load is a child (its CPU lands in this process's children's time once it exits); grpc-js and
      // node:http run in this process.
      const external = generator.includes('h2load');
      const serviceBefore = cpuSeconds(serve.pid);
      const generatorBefore = external ? cpuSeconds('self', true) : process.cpuUsage();
      const r = await run(rate);
      const calls = (r.achieved * SECONDS) / 1e6;
      const generatorSeconds = external
        ? cpuSeconds('self', true) - (generatorBefore as number)
        : (() => {
            const used = process.cpuUsage(generatorBefore as NodeJS.CpuUsage);
            return (used.user + used.system) / 1e6;
          })();
      const row: Row = {
        ...r,
        store,
        generator,
        serviceUs: Math.round((cpuSeconds(serve.pid) - serviceBefore) / calls),
        generatorUs: Math.round(generatorSeconds / calls),
      };
      console.log(rowText(row));
      rows.push(row);
      // Past the budget with the rate not held, higher rates only queue longer: skip them.
      if (r.p99 > 5 * P99_BUDGET_MS && r.achieved < 0.9 * r.offered) break;
    }
  }
  client.close();
  agent.destroy();
  await serve.stop();
  return rows;
}

function median(values: number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function rowText(r: Row): string {
  return `| ${r.store} | ${r.generator} | ${r.offered} | ${r.achieved} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.errors} | ${r.serviceUs ?? ''} | ${r.generatorUs ?? ''} |`;
}

/** Per store and generator: the highest offered rate held (95 % answered, no error) with p99 under the budget. */
function summary(rows: readonly Row[]): string[] {
  const lines = [
    `| store | generator | highest offered req/s with p99 < ${P99_BUDGET_MS} ms | its p99 ms | service CPU µs/call (median) | generator CPU µs/call (median) |`,
    '|---|---|---:|---:|---:|---:|',
  ];
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const id = `${row.store}|${row.generator}`;
    groups.set(id, [...(groups.get(id) ?? []), row]);
  }
  for (const group of groups.values()) {
    const held = group.filter((r) => r.p99 < P99_BUDGET_MS && r.achieved >= 0.95 * r.offered && r.errors === 0);
    const best = held.sort((a, b) => b.offered - a.offered)[0];
    const first = group[0] as Row;
    lines.push(
      `| ${first.store} | ${first.generator} | ${best === undefined ? `none of ${RATES.join(', ')}` : best.offered} | ${best === undefined ? '' : best.p99.toFixed(2)} | ${median(group.map((r) => r.serviceUs ?? Number.NaN))} | ${median(group.map((r) => r.generatorUs ?? Number.NaN))} |`,
    );
  }
  return lines;
}

const header = [
  '| store | generator | offered req/s | answered req/s | p50 ms | p99 ms | errors | service CPU µs/call | generator CPU µs/call |',
  '|---|---|---:|---:|---:|---:|---:|---:|---:|',
];
console.log(header.join('\n'));
const uptimeBefore = loadavg()
  .map((l) => l.toFixed(1))
  .join(', ');
const rows = [...(await bench('memory', []))];
const redis = await startRedis({ own: true });
try {
  rows.push(...(await bench('Redis', ['--redis', redis.url])));
} finally {
  await redis.stop();
}
const uptimeAfter = loadavg()
  .map((l) => l.toFixed(1))
  .join(', ');
const best = summary(rows);
console.log(best.join('\n'));
const text = `# flowgate serve: fixed offered load

${SECONDS} s per row, 2 descriptors per request, load generator and service on this machine (${process.env.BENCH_NOTE ?? `${cpus().length} cores, shared`}; load average ${uptimeBefore} before, ${uptimeAfter} after). \`npm run bench:serve\`; generators: ${GENERATORS.join(', ')} (see the head of bench/serve.ts). A row is held when at least 95 % of the offered calls were answered, none in error, p99 under ${P99_BUDGET_MS} ms.

${best.join('\n')}

${[...header, ...rows.map(rowText)].join('\n')}
`;
writeFileSync(fileURLToPath(new URL('./results/serve.md', import.meta.url)), text);
