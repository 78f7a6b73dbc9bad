// What the HTTP middleware costs, side by side with the peers, in one run: each
// framework bare, with flowgate, and with its best-known peer (bench/lib/http-configs.ts).
//
// The measure is the server's CPU time per request (user + system of its process, from
// process.cpuUsage() around each turn), not req/s: on a machine shared with other work,
// req/s follows how much of a core the server was given. Every configuration runs in
// its own long-lived child process (started once, warmed up once, idle between its
// turns). Two transports:
// - socket (default): autocannon in this process loads the child over 127.0.0.1, at a
//   fixed rate per framework (the same for its configurations, below saturation, so
//   that the event loop batches requests alike): end to end;
// - inject: the child answers requests made in-process (light-my-request on the
//   framework's listener, Fastify's inject): the JavaScript of framework and
//   middleware, without the kernel's socket work or a load generator competing for the
//   cores. For short looks only: light-my-request 6.8 keeps ~10 KB of every injected
//   request reachable (bare Koa and Fastify alike), so a long-lived child's heap, and
//   the cost of its GC, grow through the run.
// Repetitions are interleaved: in each, the configurations of one framework run back
// to back, in an order rotated from one repetition to the next, and each one's cost is
// paired with its bare framework's of the SAME repetition (cpu / cpu(bare) − 1), so
// that load which comes and goes hits both sides of each ratio alike. The report gives
// the median of those paired costs, their spread, and the machine's load average.
// Limits are far above the load: every request is admitted, so this measures the
// middleware, not a 429.
//
//   npm run bench:http                                        # full run, writes bench/results/http.md
//   npm run bench:http -- --reps 3 --duration 2 --no-write    # quick look
//   npm run bench:http -- --transport inject --reps 3 --duration 2 --no-write   # in-process
//   npm run bench:http -- --only koa+flowgate,koa+koa-ratelimit   # some configurations (and their bare framework)

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { startRedis } from '../test/support/redis-server.js';
import { baseOf, CONFIGS, MATCHES } from './lib/http-configs.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

const { values: args } = parseArgs({
  options: {
    reps: { type: 'string', default: '5' },
    duration: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '3' },
    settle: { type: 'string', default: '1' },
    slice: { type: 'string', default: '0.2' },
    connections: { type: 'string', default: '50' },
    load: { type: 'string', default: '0.6' },
    transport: { type: 'string', default: 'socket' },
    only: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
  },
});
const reps = Number(args.reps);
const duration = Number(args.duration);
const warmup = Number(args.warmup);
const settle = Number(args.settle);
const slice = Number(args.slice);
const connections = Number(args.connections);
const loadShare = Number(args.load);
const transport = args.transport;
if (transport !== 'inject' && transport !== 'socket') throw new Error(`--transport inject or socket, not ${transport}`);
const only = args.only?.split(',');
const configs = CONFIGS.filter((c) => only === undefined || only.includes(c) || only.some((o) => baseOf(o) === c));
const command = `npm run bench:http${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;

interface Server {
  child: ChildProcess;
  port: number;
}

async function startServer(config: string, redisPort: number): Promise<Server> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(here, 'lib/http-server.ts'), config, String(redisPort), transport],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] },
  );
  let out = '';
  child.stdout?.setEncoding('utf8');
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.on('data', (chunk: string) => {
      out += chunk;
      const match = /port (\d+)|ready/.exec(out);
      if (match) resolve(Number(match[1] ?? 0));
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
  /** How long the turn took, in ms. */
  ms: number;
  /** Server CPU time (user + system) per completed request, in µs. */
  cpuPerRequest: number;
}

interface Injected {
  count?: number;
  cpuUs?: number;
  ms?: number;
  error?: string;
}

/** Has the server answer in-process requests, `connections` at a time, for `seconds`. */
async function inject(config: string, server: Server, seconds: number): Promise<Load> {
  const answer = await new Promise<Injected>((resolve) => {
    server.child.once('message', resolve);
    server.child.send({ injectMs: seconds * 1000, concurrency: connections });
  });
  if (answer.error !== undefined) throw new Error(`${config}: ${answer.error}`);
  const count = answer.count as number;
  const ms = answer.ms as number;
  return { rps: count / (ms / 1000), cpuPerRequest: (answer.cpuUs as number) / count, ms };
}

/** One turn of `seconds`: autocannon at `rate` (full speed if undefined), or injected requests. */
function load(config: string, server: Server, seconds: number, rate?: number): Promise<Load> {
  if (transport === 'socket') return loadSocket(config, server, seconds, rate);
  return inject(config, server, seconds);
}

/** Runs autocannon against `server`: as fast as it answers, or at `rate` requests per second. */
async function loadSocket(config: string, server: Server, seconds: number, rate?: number): Promise<Load> {
  const before = await cpuUs(server.child);
  const result = await autocannon({
    url: `http://127.0.0.1:${server.port}/`,
    connections,
    duration: seconds,
    ...(rate === undefined ? {} : { overallRate: rate }),
  });
  const after = await cpuUs(server.child);
  if (result.non2xx > 0 || result.errors + result.timeouts > 0) {
    throw new Error(`${config}: ${result.non2xx} non-2xx and ${result.errors + result.timeouts} errors`);
  }
  return {
    rps: result.requests.total / seconds,
    cpuPerRequest: (after - before) / result.requests.total,
    ms: seconds * 1000,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const load1 = () => loadavg()[0]?.toFixed(1) ?? '?';
const percent = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`;

/** The frameworks in report order, each with its configurations (bare first). */
const groups = new Map<string, string[]>();
for (const config of configs) {
  const base = baseOf(config);
  groups.set(base, [...(groups.get(base) ?? []), config]);
}

const loads: string[] = [`start ${load1()}`];
/**
 * Requests per second offered to each framework's configurations, the same for all of
 * them: a share (--load) of the slowest one's full speed at warm-up. Below saturation,
 * every configuration serves the same request rate on the same connections, so the
 * event loop batches requests alike and CPU per request compares the middleware alone;
 * at full speed, a slower server would batch more requests per wake-up than a faster
 * one and look cheaper per request than it is.
 */
const rateOf: Record<string, number> = {};
const unsustained = new Set<string>();
const rps: Record<string, number[]> = {};
const cpu: Record<string, number[]> = {};
/** Per repetition: cpu(config) / cpu(bare) − 1, both from that repetition. */
const paired: Record<string, number[]> = {};
for (const c of configs) {
  rps[c] = [];
  cpu[c] = [];
  paired[c] = [];
}

const redis = await startRedis();
const servers = new Map<string, Server>();
try {
  for (const config of configs) servers.set(config, await startServer(config, redis.port));
  // Warm-up at full speed; it also finds each framework's offered load (see rateOf).
  const fastest: Record<string, number> = {};
  for (const config of configs) {
    const { rps: r } = await load(config, servers.get(config) as Server, Math.max(warmup, 1));
    fastest[config] = r;
  }
  for (const [base, members] of groups) {
    rateOf[base] = Math.max(50, Math.round(loadShare * Math.min(...members.map((c) => fastest[c] as number))));
  }
  for (let rep = 0; rep < reps; rep++) {
    for (const [base, members] of groups) {
      const order = members.map((_, i) => members[(i + rep) % members.length] as string);
      const cpuThisRep: Record<string, number> = {};
      const record = (config: string, result: Load) => {
        rps[config]?.push(result.rps);
        cpu[config]?.push(result.cpuPerRequest);
        cpuThisRep[config] = result.cpuPerRequest;
        console.log(
          `rep ${rep + 1}/${reps}  ${config.padEnd(36)} ${Math.round(result.rps)} req/s  ${result.cpuPerRequest.toFixed(1)} µs CPU/req  (load ${load1()})`,
        );
      };
      if (transport === 'inject') {
        // The turn in slices, the configurations taking turns slice by slice: load that comes
        // and goes on the machine within the turn weighs on all of them alike.
        const slices = Math.max(1, Math.round(duration / slice));
        const totals = order.map(() => ({ count: 0, cpuUs: 0, ms: 0 }));
        for (let k = -Math.round(settle / slice); k < slices; k++) {
          for (const [i, config] of order.entries()) {
            const r = await inject(config, servers.get(config) as Server, slice);
            if (k < 0) continue;
            const t = totals[i] as { count: number; cpuUs: number; ms: number };
            const count = (r.rps * r.ms) / 1000;
            t.count += count;
            t.cpuUs += r.cpuPerRequest * count;
            t.ms += r.ms;
          }
        }
        for (const [i, config] of order.entries()) {
          const t = totals[i] as { count: number; cpuUs: number; ms: number };
          record(config, { rps: (t.count * 1000) / t.ms, cpuPerRequest: t.cpuUs / t.count, ms: t.ms });
        }
      } else {
        for (const config of order) {
          const server = servers.get(config) as Server;
          const rate = rateOf[base];
          if (settle > 0) await load(config, server, settle, rate);
          const result = await load(config, server, duration, rate);
          if (rate !== undefined && result.rps < 0.95 * rate) unsustained.add(config);
          record(config, result);
        }
      }
      const bare = cpuThisRep[base];
      if (bare !== undefined) {
        for (const config of members) paired[config]?.push((cpuThisRep[config] as number) / bare - 1);
      }
    }
    loads.push(`after rep ${rep + 1} ${load1()}`);
  }
} finally {
  for (const { child } of servers.values()) child.kill('SIGKILL');
  await Promise.all([...servers.values()].map(({ child }) => once(child, 'exit').catch(() => {})));
  await redis.stop();
}

const costOf = (config: string) => median(paired[config] as number[]);
const rows: string[] = [];
for (const config of configs) {
  const bare = config === baseOf(config);
  const costs = paired[config] as number[];
  const spread = bare ? '—' : `${percent(Math.min(...costs))} … ${percent(Math.max(...costs))}`;
  rows.push(
    `| ${config} | ${Math.round(median(rps[config] as number[]))} | ${median(cpu[config] as number[]).toFixed(1)} | ${bare ? '—' : percent(costOf(config))} | ${spread} |`,
  );
}
const verdicts: string[] = [];
for (const { framework, ours, theirs } of MATCHES) {
  if (!configs.includes(ours as never) || !configs.includes(theirs as never)) continue;
  const ratio = costOf(ours) / costOf(theirs);
  // A cost whose paired values fall on both sides of zero is not told from noise by this run.
  const unresolved = [ours, theirs].filter((c) => Math.min(...(paired[c] as number[])) <= 0);
  const verdict =
    unresolved.length > 0
      ? `not resolved by this run (the paired costs of ${unresolved.join(' and ')} reach 0 or below)`
      : `${ratio.toFixed(2)}× theirs (${ratio <= 0.5 ? 'meets' : 'misses'} the ≤ 0.5× target)`;
  verdicts.push(
    `- ${framework}: flowgate ${percent(costOf(ours))}, ${theirs.split('+')[1]} ${percent(costOf(theirs))}: ${verdict}.`,
  );
}

const report = `# HTTP middleware benchmark

Generated by \`${command}\` (bench/http.ts) on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC,
Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}.
Load average (1 min): ${loads.join(', ')}.

Each configuration serves \`GET /\` (a small JSON body) from its own long-lived child
process, warmed up at full speed for ${Math.max(warmup, 1)} s. ${
  transport === 'inject'
    ? `Transport \`inject\`: the child answers requests made in-process (light-my-request's
fake request and response on the framework's own listener; Fastify's \`inject\`), ${connections}
in flight, for ${settle} s unmeasured then ${duration} s measured per turn, the turns of a
framework's configurations cut in slices of ${slice} s that alternate (A B C A B C …), so
that whatever else the machine runs weighs on them alike. No sockets, no kernel, no load generator: what is measured is the
JavaScript of the framework and the middleware, which is where a middleware's cost is.
The bare framework's CPU per request is smaller than over sockets (no HTTP parsing or
socket writes), so every cost in % is larger than an end-to-end one; the ratio of two
middlewares' costs is not, as both add to the same bare work.`
    : `Transport \`socket\`: autocannon runs in the parent with ${connections} connections to
127.0.0.1, ${settle} s unmeasured then ${duration} s measured per turn, at a fixed rate per framework,
the same for all its configurations: ${loadShare} × the slowest one's warm-up speed (${[...groups.keys()]
        .map((b) => `${b} ${rateOf[b]}/s`)
        .join(
          ', ',
        )}).${unsustained.size > 0 ? ` Turns that fell below 95 % of that rate: ${[...unsustained].join(', ')}.` : ''}`
} ${reps} repetitions; in each, a framework's configurations run back to back in an order
rotated from one repetition to the next. Every limiter is a fixed window of 1e9 per minute keyed
by client IP, so every request is admitted and the numbers are the cost of the middleware
(one hot key, 127.0.0.1). Memory stores unless named Redis (a throwaway local
redis-server, ioredis). flowgate sends the draft-10 \`RateLimit-Policy\`/\`RateLimit\`
headers; the peers send their default headers (express-rate-limit: \`standardHeaders:
'draft-8'\`, no legacy headers). \`nestjs+noop-guard\` is a guard that admits everything:
the cost of Nest's guard pipeline, which any guard pays.

The cost is the server's CPU time per request (user + system, \`process.cpuUsage()\` of
its process) against its bare framework's: \`cpu / cpu(bare) − 1\`, computed per
repetition from the two measured in that repetition, then the median over repetitions.
req/s is shown for reference only: on a shared machine it measures how much of a core
the server got.

| configuration | median req/s | server CPU µs/req (median) | CPU cost vs bare (median of paired reps) | paired cost, min … max |
|---|---:|---:|---:|---:|
${rows.join('\n')}

${verdicts.join('\n')}
`;
console.log(`\n${report}`);
if (!args['no-write']) {
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(join(here, 'results', 'http.md'), report);
  console.log('wrote bench/results/http.md');
}
process.exit(0);
