import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { COLUMNS } from '../../src/simulate/columns.js';
import { LIMIT_SET_COLUMNS } from '../../src/simulate/limit-set-columns.js';
import { flowgate, flowgateAsync, simulateJson } from './cli.js';

const byAlgorithm = <T extends { algorithm: string }>(results: T[]): Record<string, T> =>
  Object.fromEntries(results.map((r) => [r.algorithm, r]));

test('boundary-burst (the default): the fixed window admits 200 in 400 ms, every other algorithm 100', () => {
  const report = simulateJson();
  assert.equal(report.scenario, 'boundary-burst');
  assert.deepEqual(report.params.algorithms, [
    'fixed-window',
    'sliding-log',
    'sliding-window',
    'token-bucket',
    'leaky-bucket',
  ]);
  const r = byAlgorithm(report.results);
  const admitted = Object.fromEntries(report.results.map((x) => [x.algorithm, x.admitted]));
  assert.deepEqual(admitted, {
    'fixed-window': 200,
    'sliding-log': 100,
    'sliding-window': 100,
    'token-bucket': 100,
    'leaky-bucket': 100,
  });
  assert.equal(r['fixed-window']?.denied, 0);
  assert.equal(r['fixed-window']?.maxAdmittedInWindow, 200);
  assert.equal(r['fixed-window']?.overAdmitted, 100);
  assert.equal(r['fixed-window']?.underAdmitted, 0);
  for (const name of ['sliding-log', 'sliding-window', 'token-bucket', 'leaky-bucket']) {
    assert.equal(r[name]?.denied, 100, name);
    assert.equal(r[name]?.maxAdmittedInWindow, 100, name);
    assert.equal(r[name]?.overAdmitted, 0, name);
    assert.equal(r[name]?.underAdmitted, 0, name);
  }
  const bytes = Object.fromEntries(report.results.map((x) => [x.algorithm, x.stateBytesPerKey]));
  assert.deepEqual(bytes, {
    'fixed-window': 16,
    'sliding-log': 800,
    'sliding-window': 24,
    'token-bucket': 8,
    'leaky-bucket': 8,
  });
  // 100 admitted 2 ms apart into a queue draining one per 600 ms: request i waits 600i - 2i ms.
  assert.deepEqual(r['leaky-bucket']?.delays, { p50: 598 * 49, p99: 598 * 98, max: 598 * 99 });
  assert.equal(r['token-bucket']?.delays, undefined);
});

test('the default output is a table with one row per algorithm', () => {
  const run = flowgate('simulate');
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /^flowgate simulate boundary-burst: 100 requests in the last 200 ms/);
  assert.match(run.stdout, /algorithm\s+admitted\s+denied\s+max in 60s\s+over\s+under/);
  assert.match(run.stdout, /\nfixed-window\s+200\s+0\s+200\s+100\s+0 /);
  assert.match(run.stdout, /\nsliding-log\s+100\s+100\s+100\s+0\s+0 .* 800 B/);
  assert.match(run.stdout, /\nleaky-bucket\s+100\s+100\s+100\s+0\s+0 .* 29302\/58604\/59202 ms/);
});

// limit 3 per 1 s. Key a: 3 requests late in window 0, 2 early in window 1 (only the
// fixed window admits those). Key b: cost 2 twice in one window (the second never fits).
const ROWS: [number, string, number][] = [
  [900, 'a', 1],
  [950, 'a', 1],
  [990, 'a', 1],
  [1000, 'a', 1],
  [1010, 'a', 1],
  [0, 'b', 2],
  [10, 'b', 2],
];

function checkTraceReport(report: ReturnType<typeof simulateJson>): void {
  assert.equal(report.scenario, 'trace');
  const r = byAlgorithm(report.results);
  assert.equal(r['fixed-window']?.admitted, 6);
  assert.equal(r['fixed-window']?.denied, 1);
  assert.equal(r['fixed-window']?.overAdmitted, 2);
  assert.equal(r['fixed-window']?.maxAdmittedInWindow, 5);
  for (const name of ['sliding-log', 'sliding-window', 'token-bucket', 'leaky-bucket']) {
    assert.equal(r[name]?.admitted, 4, name);
    assert.equal(r[name]?.denied, 3, name);
    assert.equal(r[name]?.overAdmitted, 0, name);
    assert.equal(r[name]?.underAdmitted, 0, name);
    assert.equal(r[name]?.maxAdmittedInWindow, 3, name);
  }
  assert.deepEqual(r['fixed-window']?.groups, { a: { admitted: 5, denied: 0 }, b: { admitted: 1, denied: 1 } });
}

test('--trace replays a CSV file (header, columns in any order, costs)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowgate-trace-'));
  const file = join(dir, 'traffic.csv');
  writeFileSync(file, `key,timestamp,cost\n${ROWS.map(([t, k, c]) => `${k},${t},${c}`).join('\n')}\n`);
  const report = simulateJson('--trace', file, '--limit', '3', '--window', '1s');
  checkTraceReport(report);
  assert.equal(report.params.trace, file);
  // Without a header: timestamp,key[,cost].
  const bare = join(dir, 'bare.csv');
  writeFileSync(bare, ROWS.map(([t, k, c]) => (c === 1 ? `${t},${k}` : `${t},${k},${c}`)).join('\n'));
  checkTraceReport(simulateJson('--trace', bare, '--limit', '3', '--window', '1s'));
});

test('--trace replays a JSONL file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowgate-trace-'));
  const file = join(dir, 'traffic.jsonl');
  writeFileSync(file, ROWS.map(([timestamp, key, cost]) => JSON.stringify({ timestamp, key, cost })).join('\n'));
  checkTraceReport(simulateJson('--trace', file, '--limit', '3', '--window', '1000'));
});

test('a bad trace line names the file, the line and what is valid', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowgate-trace-'));
  const file = join(dir, 'bad.csv');
  writeFileSync(file, 'timestamp,key\n0,a\nsoon,b\n');
  const run = flowgate('simulate', '--trace', file);
  assert.equal(run.status, 1);
  assert.match(run.stderr, /bad\.csv:3: timestamp "soon" is not a number of milliseconds/);
  assert.match(run.stderr, /FG_SIM_TRACE_INVALID/);
  const costly = join(dir, 'costly.jsonl');
  writeFileSync(costly, '{"timestamp": 0, "key": "a", "cost": 5}\n');
  const over = flowgate('simulate', '--trace', costly, '--limit', '3');
  assert.equal(over.status, 1);
  assert.match(over.stderr, /costly\.jsonl:1: cost 5 is not a whole number from 1 to 3/);
});

test('--help documents the scenarios, the flags and what each number means', () => {
  const run = flowgate('simulate', '--help');
  assert.equal(run.status, 0);
  for (const text of [
    'Usage: flowgate simulate [options] [scenario]',
    'boundary-burst',
    'retry-storm',
    'mobile-sync',
    'steady',
    'botnet',
    '--trace <file>',
    '--time-unit <unit>',
    'add --time-unit s',
    '--limit <n>',
    '--window <duration>',
    '--algorithms <list>',
    '--seed <n>',
    '--format <format>',
    '--out <file.html>',
    'capacity = limit',
    // Every column of the table, with its JSON field, from the one COLUMNS list.
    ...COLUMNS.slice(1).map((c) => `${c.title('<window>')} (${c.field}): `),
    // And the limit-set comparison's, from LIMIT_SET_COLUMNS.
    'Limit sets (botnet, also limitSets in --format json)',
    ...LIMIT_SET_COLUMNS.map((c) => `${c.title('<window>')} (${c.field}): `),
  ]) {
    assert.ok(run.stdout.includes(text), `--help lacks ${JSON.stringify(text)}`);
  }
});

test('bad flags fail with a clear message and a non-zero exit', async () => {
  const cases: [string[], RegExp][] = [
    [['--limit', '0'], /option '--limit <n>' argument '0' is invalid\. expected a whole number from 1 to 100000/],
    [['--limit', 'ten'], /argument 'ten' is invalid/],
    [['--window', '10 parsecs'], /option '--window <duration>' argument '10 parsecs' is invalid\. expected a duration/],
    [
      ['--algorithms', 'fixed-window,gcra'],
      /unknown algorithm "gcra"; expected a comma-separated list of fixed-window/,
    ],
    [['--format', 'xml'], /argument 'xml' is invalid\. Allowed choices are table, json/],
    [['--seed', '-1'], /option '--seed <n>'/],
    [['--bogus'], /unknown option '--bogus'/],
    [['thundering-herd'], /'thundering-herd' is invalid for argument 'scenario'\. Allowed choices are boundary-burst/],
    [['--out', 'report.pdf'], /--out <file\.html>' argument 'report\.pdf' is invalid/],
    [['steady', '--trace', 'x.csv'], /give a scenario \(steady\) or --trace x\.csv, not both/],
    [['--trace', 'traffic.txt'], /expected a file ending in \.csv, \.jsonl or \.ndjson/],
  ];
  const runs = await Promise.all(cases.map(([args]) => flowgateAsync('simulate', ...args)));
  for (const [i, [args, message]] of cases.entries()) {
    const run = runs[i] as Awaited<ReturnType<typeof flowgateAsync>>;
    assert.notEqual(run.status, 0, args.join(' '));
    assert.match(run.stderr, message, args.join(' '));
    assert.equal(run.stdout, '', args.join(' '));
  }
});

test('--out to a directory that does not exist fails before simulating, with a code and no stack trace', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowgate-out-'));
  mkdirSync(join(dir, 'taken.html'));
  const cases: [string, RegExp][] = [
    ['/nonexistent/r.html', /--out \/nonexistent\/r\.html: directory \/nonexistent does not exist/],
    [join(dir, 'taken.html'), /taken\.html is a directory/],
    [join(dir, 'missing', 'r.html'), /missing does not exist/],
  ];
  // steady runs for seconds: only a check made before simulating fails this fast with an empty stdout.
  const runs = await Promise.all(cases.map(([out]) => flowgateAsync('simulate', 'steady', '--out', out)));
  for (const [i, [out, message]] of cases.entries()) {
    const run = runs[i] as Awaited<ReturnType<typeof flowgateAsync>>;
    assert.equal(run.status, 1, out);
    assert.match(run.stderr, message);
    assert.match(
      run.stderr,
      /nothing was simulated \[FG_SIM_OUT_UNWRITABLE, see docs\/errors\.md#fg_sim_out_unwritable\]/,
    );
    assert.doesNotMatch(run.stderr, /\n\s+at |unexpected error/, 'no stack trace');
    assert.equal(run.stdout, '', 'the table is not printed: nothing was simulated');
  }
});

test('--trace in Unix seconds is refused with how to fix it; --time-unit s reads it exactly', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowgate-trace-'));
  // The ROWS of the tests above, as Unix seconds from 2026-01-01 (fractions for the milliseconds).
  const seconds = (t: number): string => (1_767_225_600 + t / 1000).toString();
  const csv = join(dir, 'seconds.csv');
  writeFileSync(csv, `timestamp,key,cost\n${ROWS.map(([t, k, c]) => `${seconds(t)},${k},${c}`).join('\n')}\n`);
  const jsonl = join(dir, 'seconds.jsonl');
  writeFileSync(jsonl, ROWS.map(([t, key, cost]) => JSON.stringify({ ts: Number(seconds(t)), key, cost })).join('\n'));
  const [refused, forcedMs, noTrace] = await Promise.all([
    flowgateAsync('simulate', '--trace', csv, '--limit', '3', '--window', '1s'),
    flowgateAsync(
      'simulate',
      '--trace',
      csv,
      '--limit',
      '3',
      '--window',
      '1s',
      '--time-unit',
      'ms',
      '--format',
      'json',
    ),
    flowgateAsync('simulate', '--time-unit', 's'),
  ]);
  assert.equal(refused.status, 1);
  assert.equal(refused.stdout, '');
  assert.match(refused.stderr, /seconds\.csv: the timestamps look like Unix seconds, not milliseconds/);
  assert.match(refused.stderr, /1767225600, is 2026-01-01T00:00:00\.000Z in seconds but 1970-01-21T10:53:45\.600Z in/);
  assert.match(refused.stderr, /spans 1 s in seconds but 1 ms in milliseconds/);
  assert.match(
    refused.stderr,
    /Pass --time-unit s .* \[FG_SIM_TRACE_SECONDS, see docs\/errors\.md#fg_sim_trace_seconds\]/,
  );
  // Told they are milliseconds, it replays them as such: every request lands in one millisecond-wide spread.
  assert.equal(forcedMs.status, 0, forcedMs.stderr);
  assert.equal(JSON.parse(forcedMs.stdout).params.timeUnit, 'ms');
  assert.equal(noTrace.status, 1);
  assert.match(noTrace.stderr, /--time-unit s applies to the timestamps of --trace <file>/);
  for (const file of [csv, jsonl]) {
    const report = simulateJson('--trace', file, '--limit', '3', '--window', '1s', '--time-unit', 's');
    checkTraceReport(report);
    assert.equal(report.params.timeUnit, 's');
  }
});
