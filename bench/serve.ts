// flowgate serve under a fixed offered load: gRPC ShouldRateLimit (and the same
// requests through POST /json) at 2 000, 5 000 and 10 000 requests/s, two
// descriptors each (per user and per route, never over the limit), on memory
// and on Redis. The load generator and the service share this machine.
// Open loop: each request has a scheduled send time, and its latency is
// measured from that time, so a stalled service cannot hide its queue
// (no coordinated omission). Not a test: `npm run bench:serve`
// (BENCH_SECONDS=5, BENCH_RATES=2000,5000,10000). Writes bench/results/serve.md.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RlsClient } from '../test/serve/support/grpc-client.js';
import { startRedis } from '../test/support/redis-server.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const RATES = (process.env.BENCH_RATES ?? '2000,5000,10000').split(',').map(Number);
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

async function startServe(extra: string[]): Promise<{ grpc: number; http: number; stop(): Promise<void> }> {
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

async function bench(store: string, extra: string[]): Promise<string[]> {
  const rows: string[] = [];
  const serve = await startServe(extra);
  const client = new RlsClient(serve.grpc);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const postJson = (i: number): Promise<void> =>
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
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(String(res.statusCode)))));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  // Warm up both paths (JIT, connections, scripts loaded).
  await openLoop(1000, (i) => client.call('bench', descriptors(i)));
  await openLoop(500, postJson);
  for (const [label, send] of [
    ['gRPC', (i: number) => client.call('bench', descriptors(i))],
    ['POST /json', postJson],
  ] as const) {
    for (const rate of RATES) {
      const r = await openLoop(rate, send);
      const row = `| ${store} | ${label} | ${r.offered} | ${r.achieved} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.errors} |`;
      console.log(row);
      rows.push(row);
    }
  }
  client.close();
  agent.destroy();
  await serve.stop();
  return rows;
}

const header = [
  '| store | transport | offered req/s | answered req/s | p50 ms | p99 ms | errors |',
  '|---|---|---:|---:|---:|---:|---:|',
];
console.log(header.join('\n'));
const loadBefore = loadavg()[0]?.toFixed(1);
const rows = [...(await bench('memory', []))];
const redis = await startRedis({ own: true });
try {
  rows.push(...(await bench('Redis', ['--redis', redis.url])));
} finally {
  await redis.stop();
}
const text = `# flowgate serve: fixed offered load\n\n${SECONDS} s per row, 2 descriptors per request, load generator and service on this machine (${process.env.BENCH_NOTE ?? 'shared 2-core box'}; load average ${loadBefore} before, ${loadavg()[0]?.toFixed(1)} after).\n\n${[...header, ...rows].join('\n')}\n`;
writeFileSync(fileURLToPath(new URL('./results/serve.md', import.meta.url)), text);
