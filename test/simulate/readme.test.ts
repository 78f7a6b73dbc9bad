// Every number the README quotes from the simulator, checked against the
// commands the README shows: a change to the math, or a README edited out of
// step with it, fails here. The runs are seeded, so the numbers are exact.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { formatBytes, formatCount, formatPercent } from '../../src/simulate/format.js';
import { flowgateAsync, type simulateJson } from './cli.js';

type Report = ReturnType<typeof simulateJson>;
type Result = Report['results'][number];

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
/** The README with line breaks and runs of spaces folded, so prose can be matched across wrapped lines. */
const PROSE = README.replace(/\s+/g, ' ');

const ROWS: Record<string, string> = {
  'fixed window': 'fixed-window',
  'sliding log': 'sliding-log',
  'sliding window counter': 'sliding-window',
  'token bucket': 'token-bucket',
  'leaky bucket': 'leaky-bucket',
};

/** The commands of the README's "side by side" section, as `npx flowgate simulate <scenario>`. */
function sideBySideScenarios(): string[] {
  const section = README.slice(README.indexOf('## The five algorithms side by side'), README.indexOf('## Install'));
  const block = section.slice(section.indexOf('```sh'), section.indexOf('```', section.indexOf('```sh') + 5));
  return [...block.matchAll(/^npx flowgate simulate (\S+)/gm)].map((m) => m[1] as string);
}

async function run(scenario: string): Promise<Record<string, Result>> {
  const cli = await flowgateAsync('simulate', scenario, '--format', 'json');
  assert.equal(cli.status, 0, cli.stderr);
  const report = JSON.parse(cli.stdout) as Report;
  return Object.fromEntries(report.results.map((r) => [r.algorithm, r]));
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

test('README: the side-by-side table and what the numbers say come from the commands it shows', async () => {
  assert.deepEqual(sideBySideScenarios(), ['boundary-burst', 'steady', 'mobile-sync', 'botnet']);
  const [burst, steady, mobile, botnet] = await Promise.all(sideBySideScenarios().map(run));
  const r = (report: Record<string, Result> | undefined, algorithm: string): Result => {
    const result = report?.[algorithm];
    assert.ok(result, algorithm);
    return result;
  };
  const wrong = (algorithm: string): string =>
    `${formatPercent(r(steady, algorithm).wrongPercent)} / ${formatPercent(r(mobile, algorithm).wrongPercent)}`;
  const leaky = r(burst, 'leaky-bucket');
  const delays = leaky.delays as { p50: number; max: number };
  const fixed = r(burst, 'fixed-window');
  const expected: Record<string, string[]> = {
    'fixed window': [
      `**${fixed.admitted}** (${fixed.admitted / 100}× the limit)`,
      formatCount(r(mobile, 'fixed-window').maxAdmittedInWindow),
      `2 numbers (${formatBytes(fixed.stateBytesPerKey)})`,
      wrong('fixed-window'),
    ],
    'sliding log': [
      formatCount(r(burst, 'sliding-log').admitted),
      formatCount(r(mobile, 'sliding-log').maxAdmittedInWindow),
      `one timestamp per admitted unit (≤ ${formatBytes(r(burst, 'sliding-log').stateBytesPerKey)})`,
      r(steady, 'sliding-log').wrongPercent + r(mobile, 'sliding-log').wrongPercent === 0 ? 'exact' : 'not exact',
    ],
    'sliding window counter': [
      formatCount(r(burst, 'sliding-window').admitted),
      formatCount(r(mobile, 'sliding-window').maxAdmittedInWindow),
      `3 numbers (${formatBytes(r(burst, 'sliding-window').stateBytesPerKey)})`,
      wrong('sliding-window'),
    ],
    'token bucket': [
      formatCount(r(burst, 'token-bucket').admitted),
      formatCount(r(mobile, 'token-bucket').maxAdmittedInWindow),
      `1 number (${formatBytes(r(burst, 'token-bucket').stateBytesPerKey)})`,
      `${wrong('token-bucket')} (by design: burst + refill)`,
    ],
    'leaky bucket': [
      `${leaky.admitted}, held p50 ${seconds(delays.p50)} / max ${seconds(delays.max)}`,
      `${formatCount(r(mobile, 'leaky-bucket').maxAdmittedInWindow)} (served evenly)`,
      `1 number (${formatBytes(leaky.stateBytesPerKey)})`,
      [steady, mobile].every(
        (report) =>
          r(report, 'leaky-bucket').admitted === r(report, 'token-bucket').admitted &&
          r(report, 'leaky-bucket').wrongPercent === r(report, 'token-bucket').wrongPercent,
      )
        ? 'same admissions as the token bucket'
        : 'differs from the token bucket',
    ],
  };
  for (const [name, cells] of Object.entries(expected)) {
    const row = README.split('\n').find((line) => line.startsWith(`| ${name} `));
    assert.ok(row, `README table row ${name}`);
    assert.deepEqual(
      row
        .split('|')
        .slice(2, 6)
        .map((cell) => cell.trim()),
      cells,
      `README table row ${name} (${ROWS[name]})`,
    );
  }

  const sw = r(steady, 'sliding-window');
  const swMobile = r(mobile, 'sliding-window');
  const swBotnet = r(botnet, 'sliding-window');
  const logBotnet = r(botnet, 'sliding-log');
  const offered = sw.offeredRateError as { wrong: number; requests: number; percent: number };
  const perSource = swBotnet.offeredRateError as { wrong: number; requests: number };
  const global = swBotnet.offeredRateErrorGlobal as { wrong: number; requests: number };
  const bots = swBotnet.groups.bot as { admitted: number; denied: number };
  const requests = bots.admitted + bots.denied;
  // Per-source limits never bind in the botnet: every difference from the log is the global limit's.
  assert.ok(swBotnet.maxAdmittedInWindow < 100, `${swBotnet.maxAdmittedInWindow}`);
  for (const fragment of [
    `**The fixed window's 2× is real**: ${fixed.admitted} admitted in 400 ms against a limit of 100 per minute.`,
    `(\`steady\`), ${formatPercent(sw.wrongPercent)} of its decisions differ from the exact log's`,
    `(\`wrong vs log\`; ${formatPercent(sw.sameHistory.percent)} judged on its own admitted history`,
    `and ${formatPercent(offered.percent)} by Cloudflare's own method, which counts every offered request`,
    `On bursty mobile sync ${formatPercent(swMobile.wrongPercent)} differ, and it admits up to ${swMobile.maxAdmittedInWindow} in a rolling minute`,
    `not one per-source estimate is wrong (${formatCount(perSource.wrong)} of ${formatCount(perSource.requests)} by Cloudflare's method)`,
    `The ${formatPercent(swBotnet.wrongPercent)} \`wrong vs log\` of the sliding window counter in the same run all comes from the global limit of ${formatCount(10_000)} a minute, which the botnet floods at ${requests / 3 / 10_000}×.`,
    `Cloudflare's method finds nothing wrong there either (${formatCount(global.wrong)} of ${formatCount(global.requests)})`,
    `the log admits its ${formatCount(10_000)} at the start of every minute`,
    `It admits ${formatCount(swBotnet.admitted)} in three minutes to the log's ${formatCount(logBotnet.admitted)}, but different requests; judged on its own history it is ${formatPercent(swBotnet.sameHistory.percent)} wrong`,
  ]) {
    assert.ok(PROSE.includes(fragment), `README lacks: ${fragment}`);
  }
  assert.equal(global.wrong, 0, 'the README says Cloudflare finds nothing wrong at the global limit');
  assert.equal(perSource.wrong, 0, 'the README says no per-source estimate is wrong');
});

test('README: the output shown for `npx flowgate simulate` is what it prints', async () => {
  const shown = README.slice(README.indexOf('$ npx flowgate simulate\n') + '$ npx flowgate simulate\n'.length);
  const lines = shown.slice(0, shown.indexOf('\n…\n')).split('\n');
  assert.ok(lines.length >= 10, 'the header and a row per algorithm');
  const cli = await flowgateAsync('simulate');
  assert.equal(cli.status, 0, cli.stderr);
  assert.deepEqual(lines, cli.stdout.split('\n').slice(0, lines.length));
});

test('README: the limit-set rows shown for `npx flowgate simulate botnet` are what it prints, and the prose quotes them', async () => {
  const marker = '$ npx flowgate simulate botnet\n…\n';
  const shown = README.slice(README.indexOf(marker) + marker.length);
  const lines = shown.slice(0, shown.indexOf('\n…\n')).split('\n');
  assert.ok(lines.length >= 7, 'the heading, the header and a row per configuration');
  const [table, json] = await Promise.all([
    flowgateAsync('simulate', 'botnet'),
    flowgateAsync('simulate', 'botnet', '--format', 'json'),
  ]);
  assert.equal(table.status, 0, table.stderr);
  const printed = table.stdout.split('\n');
  const first = printed.indexOf(lines[0] as string);
  assert.ok(first >= 0, `the CLI prints ${lines[0]}`);
  assert.deepEqual(printed.slice(first, first + lines.length), lines);
  const results = JSON.parse(json.stdout).limitSets.results as {
    limits: string;
    legitimateServedPercent: number;
    maxAdmittedInWindowAllKeys: number;
  }[];
  const [perSource, , set] = results;
  for (const fragment of [
    `A per-source limit alone lets the whole botnet through (${formatCount(perSource?.maxAdmittedInWindowAllKeys ?? 0)} requests in one minute`,
    `the set admits exactly what the global limit alone does: it holds the service to ${formatCount(set?.maxAdmittedInWindowAllKeys ?? 0)} a minute`,
    `${formatPercent(set?.legitimateServedPercent ?? 0)} of their demand`,
  ]) {
    assert.ok(PROSE.includes(fragment), `README lacks: ${fragment}`);
  }
});
