// What the HTTP middleware costs, in machine instructions per request of the server
// process: the measure that neither the machine's load nor a turn's length changes,
// so that a middleware of a few microseconds is resolved against its bare framework
// (bench/http.ts measures CPU time, whose noise is of that size).
//
// Each configuration of bench/lib/http-configs.ts (memory stores) runs its server
// (bench/lib/http-server.ts, bundled once with esbuild so that no TypeScript is compiled
// at start-up, each framework in a chunk of its own so that only the configuration's is
// loaded) under valgrind (callgrind, no cache simulation), Node `--single-threaded` with
// fixed hash and random seeds and `--predictable-gc-schedule`. This process sends it real
// HTTP requests over keep-alive connections from 127.0.0.1: `--small` of them, then asks
// it to call `os.getPriority()`, on which callgrind zeroes its counts, then `--large -
// --small` more, then `os.loadavg()`, on which it dumps them: those requests alone,
// start-up and warm-up excluded, in one process. (Zeroing, not a dump, after the warm-up:
// writing that dump took long enough under load for the server to close the idle
// connection, keepAliveTimeout; a request on a new connection fails the run.) Repeated `--reps` times; medians and
// spreads reported. The client runs outside valgrind, in this process: only the
// server's instructions are counted.
//
// Why so: two processes (a count after `--small` requests subtracted from one after
// `--large`) paid start-up twice and added the noise of both; and V8 sizes its heap and
// schedules part of its GC by time, so a slow (loaded) server collected differently.
// With `--predictable-gc-schedule` (off with `--default-gc`) and one process, two
// repetitions agree to within 0.7 % (koa 103,013 / 103,759, fastify 79,577 / 80,083,
// `--small 3000 --large 9000`, at load 15-19). The warm-up is long (6,000 requests) because
// V8 goes on compiling well after 3,000: bare Fastify's count was 88.9k per request
// over requests 3,000-7,000, 80k over 3,000-9,000, 61.6k over 6,000-18,000. The measured
// requests are cheap to run (under valgrind the warm-up's compiling takes most of the
// time): one repetition of one configuration is 1.0-1.3 minutes of CPU, so the Koa and
// Fastify trios at `--reps 3` take ~11 minutes on 2 otherwise idle cores (`--jobs 2`).
//
//   npm run bench:http:instructions                                  # writes bench/results/http-instructions.md
//   npm run bench:http:instructions -- --reps 1 --only koa+flowgate --no-write   # a quick look
//   rm -rf /tmp/fg-base && mkdir -p /tmp/fg-base && git archive main src | tar -x -C /tmp/fg-base
//   npm run bench:http:instructions -- --against /tmp/fg-base --only express+flowgate   # before/after
//
// `--against DIR` also runs each flowgate configuration on the `src/` found in DIR (e.g.
// main's), as `<config>@base`, interleaved with this tree's in the same run: a change is
// measured against its base under the same load (the counts move a little with it, see
// the results' notes), not against a number from another day.
//
// Needs valgrind (apt-get install valgrind).

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bundleForNode } from './lib/bundle.js';
import { callgrindWindowArgs, windowInstructions } from './lib/callgrind-window.js';
import { baseOf, CONFIGS, MATCHES } from './lib/http-configs.js';
import { median } from './lib/report.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const { values: args } = parseArgs({
  options: {
    small: { type: 'string', default: '6000' },
    large: { type: 'string', default: '18000' },
    reps: { type: 'string', default: '3' },
    connections: { type: 'string', default: '1' },
    jobs: { type: 'string', default: '2' },
    only: { type: 'string' },
    against: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
    'default-gc': { type: 'boolean', default: false },
  },
});
const small = Number(args.small);
const large = Number(args.large);
const reps = Number(args.reps);
const connections = Number(args.connections);
const jobs = Number(args.jobs);
const only = args.only?.split(',');
const command = `npm run bench:http:instructions${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
// Memory stores only: under valgrind a Redis round trip is timing, not instructions.
const selected: string[] = CONFIGS.filter((c) => !c.includes('redis')).filter(
  (c) => only === undefined || only.includes(c) || only.some((o) => baseOf(o) === c),
);
const against = args.against;
/**
 * Each flowgate configuration, then (with `--against`) the same on the base's `src/`, suffixed
 * `@base`: all of them, or those `--only` names with `@base` if it names any.
 */
const onlyBases = only?.filter((o) => o.endsWith('@base')) ?? [];
const withBase = (c: string): boolean =>
  against !== undefined && c.includes('flowgate') && (onlyBases.length === 0 || onlyBases.includes(`${c}@base`));
const configs = selected.flatMap((c) => (withBase(c) ? [c, `${c}@base`] : [c]));

const bundle = bundleForNode(root, join(here, 'lib', 'http-server.ts'), 'http-server.mjs');
let baseBundle = '';
if (against !== undefined) {
  // This tree's bench servers, importing the base's src/: copied next to it, bundled from there.
  cpSync(join(here, 'lib'), join(against, 'bench', 'lib'), { recursive: true });
  baseBundle = bundleForNode(root, join(against, 'bench', 'lib', 'http-server.ts'), 'http-server-base.mjs');
}

/**
 * Sends `count` GET / over the agent's `connections` keep-alive connections; the first
 * response's header names. With `reuse`, every request must go on a connection already
 * open: a new one costs the server more than a request (see `instructions`).
 */
async function drive(agent: Agent, port: number, count: number, reuse: boolean): Promise<string[]> {
  let sent = 0;
  let headers: string[] = [];
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const req = get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
        if (reuse && !req.reusedSocket) reject(new Error('the server closed a connection between two requests'));
        if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}; raise the limits`));
        if (headers.length === 0) headers = Object.keys(res.headers);
        res.resume();
        res.on('end', resolve);
      }).on('error', reject);
    });
  const lane = async () => {
    while (sent < count) {
      sent++;
      await one();
    }
  };
  await Promise.all(Array.from({ length: connections }, lane));
  return headers;
}

/**
 * One server process under valgrind: `small` requests, a dump, `large - small` requests, a
 * dump; the instructions between the two dumps (callgrind's `summary`), and the first response's header names.
 */
async function instructions(task: string): Promise<{ refs: number; headers: string[] }> {
  const config = task.replace(/@base$/, '');
  const dir = mkdtempSync(join(tmpdir(), 'fg-http-instr-'));
  const child = spawn(
    'valgrind',
    [
      ...callgrindWindowArgs(join(dir, 'out'), { predictableGc: !args['default-gc'] }),
      task === config ? bundle : baseBundle,
      config,
      '',
      'socket',
    ],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    },
  );
  try {
    let out = '';
    let err = '';
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      err += chunk;
    });
    const exited = once(child, 'exit');
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout?.on('data', (chunk: string) => {
        out += chunk;
        const match = /port (\d+)/.exec(out);
        if (match) resolve(Number(match[1]));
      });
      exited.then(() => reject(new Error(`${config} exited before listening: ${err.slice(-2000)}`)));
    });
    const mark = async (message: 'start' | 'stop') => {
      const marked = once(child, 'message');
      child.send(message);
      await marked;
    };
    // The same connections throughout: new connections for the measured requests doubled
    // their count (koa 107k -> 225k per request; why was not found).
    const agent = new Agent({ keepAlive: true, maxSockets: connections });
    const headers = await drive(agent, port, small, false);
    await mark('start');
    await drive(agent, port, large - small, true);
    await mark('stop');
    agent.destroy();
    child.send('exit');
    const [code] = await exited;
    // From the server's 'start' message to its 'stop' (see bench/lib/callgrind-window.ts).
    const refs = windowInstructions(dir);
    if (code !== 0 || refs === undefined) throw new Error(`${config}: exit ${code}: ${err.slice(-2000)}`);
    return { refs, headers };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const load1 = () => loadavg()[0]?.toFixed(1) ?? '?';
const loads = [`start ${load1()}`];
/** Instructions per request, one value per repetition. */
const perRequest: Record<string, number[]> = Object.fromEntries(configs.map((c) => [c, []]));
const headersOf: Record<string, string[]> = {};

// Every (configuration, repetition) as one task; `jobs` run at a time (counts do not depend on it).
const tasks = Array.from({ length: reps }, (_, rep) => configs.map((config) => ({ config, rep }))).flat();
let next = 0;
async function worker(): Promise<void> {
  while (next < tasks.length) {
    const { config, rep } = tasks[next++] as { config: string; rep: number };
    const { refs, headers } = await instructions(config);
    const value = refs / (large - small);
    perRequest[config]?.push(value);
    headersOf[config] = headers;
    console.log(
      `rep ${rep + 1}/${reps}  ${config.padEnd(36)} ${value.toFixed(0)} instructions/request  (load ${load1()})`,
    );
  }
}
await Promise.all(Array.from({ length: jobs }, worker));
loads.push(`end ${load1()}`);

const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
const signed = (x: number) => `${x >= 0 ? '+' : '−'}${fmt(Math.abs(x))}`;
const min = (c: string) => Math.min(...(perRequest[c] as number[]));
const max = (c: string) => Math.max(...(perRequest[c] as number[]));
const med = (c: string) => median(perRequest[c] as number[]);
const over = (c: string) => med(c) - med(baseOf(c));

const rows = configs.map((c) => {
  const bare = c === baseOf(c);
  const cost = bare
    ? '—'
    : `${signed(over(c))} (${signed(min(c) - max(baseOf(c)))} … ${signed(max(c) - min(baseOf(c)))})`;
  const pct = bare ? '—' : `${over(c) >= 0 ? '+' : ''}${((over(c) / med(baseOf(c))) * 100).toFixed(1)} %`;
  return `| ${c} | ${fmt(med(c))} | ${fmt(min(c))} … ${fmt(max(c))} | ${cost} | ${pct} |`;
});
const verdicts: string[] = [];
const ratios: string[] = [];
const matches = MATCHES.flatMap((m) =>
  against === undefined ? [m] : [m, { ...m, framework: `${m.framework}, base`, ours: `${m.ours}@base` }],
);
for (const { framework, ours, theirs } of matches) {
  if (!configs.includes(ours as never) || !configs.includes(theirs as never)) continue;
  const bare = baseOf(ours);
  const ratio = over(ours) / over(theirs);
  // The least favourable ratio the spreads allow: our highest count against the peer's lowest.
  const worst = (max(ours) - min(bare)) / (min(theirs) - max(bare));
  const verdict = worst > 0 && worst <= 0.5 ? 'meets' : ratio <= 0.5 && ratio > 0 ? 'meets (medians only)' : 'misses';
  ratios.push(
    `| ${framework} | ${signed(over(ours))} | ${signed(over(theirs))} (${theirs.split('+')[1]}) | ${ratio.toFixed(2)} | ${worst.toFixed(2)} | ${verdict} |`,
  );
  verdicts.push(`- ${framework}: ${verdict} the ≤ 0.5 target (${ratio.toFixed(2)}× the peer's cost over bare).`);
}
const headerRows = configs.map((c) => `| ${c} | ${(headersOf[c] ?? []).join(', ')} |`);

const report = `# HTTP middleware cost in instructions per request

Generated by \`${command}\` (bench/http-instructions.ts) on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC,
Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, valgrind callgrind (no cache simulation).
Load average (1 min): ${loads.join(', ')}${
  args['default-gc']
    ? ` (with \`--default-gc\` the counts move with it: V8 sizes its heap and schedules some GC by time)`
    : ''
}.

Each configuration's server (\`bench/lib/http-server.ts\`, the one \`npm run bench:http\` times,
bundled with esbuild) runs under valgrind, \`node --single-threaded --hash-seed=1 --random-seed=1${args['default-gc'] ? '' : ' --predictable-gc-schedule'}\`,
and answers real HTTP requests (\`GET /\`, a small JSON body) sent from another process over
${connections} keep-alive connection${connections === 1 ? '' : 's'} to 127.0.0.1; then it exits. Instructions per request:
the server's instructions from its ${small}th request to its ${large}th (callgrind dumps at both),
over ${large - small}; start-up, module loading and the first ${small} requests' warm-up are not counted. ${reps} repetitions; medians, with
the spread (min … max over repetitions). Every limiter is a fixed window of 1e9 per minute
keyed by client IP, in memory, so every request is admitted and the counts are the cost of
the middleware (one hot key). The cost over bare is the configuration's median minus its
bare framework's; in brackets, the widest the spreads allow.${
  against === undefined
    ? ''
    : `\n\`<config>@base\` is the same configuration built from the \`src/\` in ${against}, run interleaved
with this tree's.`
}

| configuration | instructions / request (median) | min … max | over bare (median; spread) | over bare, % |
|---|---:|---:|---:|---:|
${rows.join('\n')}

flowgate against the best-known peer, memory stores (target: flowgate's cost over bare at most
half the peer's). "Worst case" is flowgate's highest count against the peer's lowest.

| framework | flowgate over bare | peer over bare | ratio (medians) | ratio, worst case | target ≤ 0.5 |
|---|---:|---:|---:|---:|---|
${ratios.join('\n')}

${verdicts.join('\n')}

Response headers each configuration sends (names; the peers in their default or recommended
set-up, as in bench/http.ts). A peer that sends fewer headers does less work per request:

| configuration | response headers |
|---|---|
${headerRows.join('\n')}
`;
console.log(`\n${report}`);
if (!args['no-write']) {
  writeFileSync(join(here, 'results', 'http-instructions.md'), report);
  console.log('wrote bench/results/http-instructions.md');
}
