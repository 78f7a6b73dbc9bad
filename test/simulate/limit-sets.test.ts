// Issue 11, item 5: the simulator runs limit sets. The botnet scenario compares
// a per-source limit alone, the global limit alone and the set of both.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderHtmlReport } from '../../src/simulate/html-report.js';
import { LIMIT_SET_COLUMNS } from '../../src/simulate/limit-set-columns.js';
import { compareLimitSets, type LimitSetResult } from '../../src/simulate/limit-sets.js';
import { measure } from '../../src/simulate/metrics.js';
import { seededRandom } from '../../src/simulate/rng.js';
import { RollingWindow } from '../../src/simulate/rolling-window.js';
import { type GateFactory, limitsGate, type RunRecord, runTraffic } from '../../src/simulate/runner.js';
import { simulate } from '../../src/simulate/simulate.js';
import { renderTable } from '../../src/simulate/table.js';
import type { Arrival, Traffic } from '../../src/simulate/types.js';

const GROUPS = { attack: 'bot', legitimate: 'user' };

function row(limits: LimitSetResult['limits'], attack: [number, number], legitimate: [number, number]) {
  return {
    limits,
    attack: { admitted: attack[0], denied: attack[1] },
    legitimate: { admitted: legitimate[0], denied: legitimate[1] },
    legitimateServedPercent: (legitimate[0] / (legitimate[0] + legitimate[1])) * 100,
  };
}

test('each configuration decides a hand-made trace exactly; the set spends nothing for a request either limit denies', async () => {
  // Per source 2, global 3, per 1 s, sliding log: (t - 1000, t].
  const arrivals: Arrival[] = [
    { at: 0, key: 'bot:a', cost: 1 },
    { at: 1, key: 'bot:a', cost: 1 },
    // Per-source denies it; in the set it spends nothing in the global limit, so user:b still fits there.
    { at: 2, key: 'bot:a', cost: 1 },
    { at: 3, key: 'user:b', cost: 1 },
    // The global limit is full; in the set this spends nothing in user:c's own limit...
    { at: 4, key: 'user:c', cost: 1 },
    { at: 1002, key: 'user:c', cost: 1 },
    // ...so user:c still has room for this one, in the set; alone, the per-source limit admitted the
    // request at 4 and is full here.
    { at: 1003, key: 'user:c', cost: 1 },
  ];
  const comparison = await compareLimitSets(() => ({ arrivals }), { limit: 2, windowMs: 1000 }, 3, GROUPS);
  assert.equal(comparison.algorithm, 'sliding-log');
  assert.deepEqual(
    comparison.results.map(({ maxAdmittedInWindow, maxAdmittedInWindowAllKeys, ...rest }) => rest),
    [row('per-source', [2, 1], [3, 1]), row('global', [3, 0], [2, 2]), row('set', [2, 1], [3, 1])],
  );
  assert.deepEqual(
    comparison.results.map((r) => [r.maxAdmittedInWindowAllKeys, r.maxAdmittedInWindow]),
    [
      [4, 2],
      [3, 3],
      [3, 2],
    ],
  );
});

/**
 * Random traffic where both limits bind: 40 keys, a few of them sending at
 * several times the per-source limit, together well over the global limit.
 */
function randomTraffic(seed: number): Traffic {
  const rng = seededRandom(seed);
  const arrivals: Arrival[] = [];
  for (let k = 0; k < 40; k++) {
    const key = `${k < 30 ? 'user' : 'bot'}:${k}`;
    const meanGapMs = k % 10 === 0 ? 40 : rng.int(100, 400);
    for (let t = rng.exponential(meanGapMs); t < 5000; t += rng.exponential(meanGapMs)) {
      arrivals.push({ at: Math.floor(t), key, cost: rng.int(1, 2) });
    }
  }
  return { arrivals };
}

/** Per source 5, global 40, per 1 s. */
const LIMIT = 5;
const GLOBAL = 40;
const WINDOW_MS = 1000;

/**
 * Where `run` breaks the set's contract: it admits more than the per-source
 * limit for one key, or more than the global limit over all keys, in some
 * rolling window (more than either limit alone would allow), or its decisions
 * differ from the exact rule applied to what it admitted (a request it denied
 * spent something somewhere).
 */
function setViolations(run: RunRecord): string[] {
  const found: string[] = [];
  const perKey = run.keys.map(() => new RollingWindow(WINDOW_MS));
  const all = new RollingWindow(WINDOW_MS);
  for (let i = 0; i < run.at.length; i++) {
    if (!run.allowed[i]) continue;
    const at = run.at[i] as number;
    const cost = run.cost[i] as number;
    const key = run.keyId[i] as number;
    const own = (perKey[key] as RollingWindow).add(at, cost);
    const total = all.add(at, cost);
    if (own > LIMIT) found.push(`${run.keys[key]} admitted ${own} in the window ending at ${at}`);
    if (total > GLOBAL) found.push(`all keys admitted ${total} in the window ending at ${at}`);
  }
  const { sameHistory } = measure(run, LIMIT, WINDOW_MS, GLOBAL);
  if (sameHistory.over + sameHistory.under > 0)
    found.push(`differs from the exact rule: ${JSON.stringify(sameHistory)}`);
  return found;
}

/** The two limits stacked like two middlewares: the per-source limit spends even when the global one then denies. */
const stacked: GateFactory = (clock) => {
  const perSource = limitsGate('sliding-log', WINDOW_MS, { perSource: LIMIT })(clock);
  const global = limitsGate('sliding-log', WINDOW_MS, { global: GLOBAL })(clock);
  return async (arrival) => {
    const own = await perSource(arrival);
    return own.allowed ? global(arrival) : own;
  };
};

test('the set never admits more than either limit alone allows in any window, and a denied request spends nothing', async () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const traffic = randomTraffic(seed);
    const set = await runTraffic(traffic, {
      algorithm: 'sliding-log',
      gate: limitsGate('sliding-log', WINDOW_MS, { perSource: LIMIT, global: GLOBAL }),
    });
    assert.deepEqual(setViolations(set), [], `seed ${seed}`);
    // Both limits bind on this traffic, and the check catches limits that are stacked instead of a set.
    const counts = measure(set, LIMIT, WINDOW_MS, GLOBAL);
    assert.equal(counts.maxAdmittedInWindow, LIMIT, `seed ${seed}`);
    assert.equal(counts.maxAdmittedInWindowAllKeys, GLOBAL, `seed ${seed}`);
    const chained = await runTraffic(traffic, { algorithm: 'sliding-log', gate: stacked });
    assert.notDeepEqual(setViolations(chained), [], `seed ${seed}: stacked limits look like a set`);
  }
});

test('botnet (seed 1, 3 minutes): per-source alone passes the botnet, the global limit alone holds it but crowds out the legitimate clients, the set holds it exactly as the global limit does', async () => {
  const { report } = await simulate({
    scenario: 'botnet',
    limit: 100,
    windowMs: 60_000,
    algorithms: ['sliding-log'],
    seed: 1,
  });
  const comparison = report.limitSets;
  assert.ok(comparison);
  assert.deepEqual(comparison.groups, GROUPS);
  assert.deepEqual(comparison.results, [
    {
      ...row('per-source', [150_000, 0], [2986, 0]),
      maxAdmittedInWindowAllKeys: 51_035,
      maxAdmittedInWindow: 66,
    },
    {
      ...row('global', [29_447, 120_553], [553, 2433]),
      maxAdmittedInWindowAllKeys: 10_000,
      maxAdmittedInWindow: 18,
    },
    {
      ...row('set', [29_447, 120_553], [553, 2433]),
      maxAdmittedInWindowAllKeys: 10_000,
      maxAdmittedInWindow: 18,
    },
  ]);
  // The set is the run the table shows for the sliding log (one RateLimiter with both limits).
  const log = report.results[0];
  assert.deepEqual(log?.groups, {
    bot: comparison.results[2]?.attack,
    user: comparison.results[2]?.legitimate,
  });
});

test('the table and the HTML report show one row per configuration under the same LIMIT_SET_COLUMNS', async () => {
  const simulation = await simulate({
    scenario: 'botnet',
    limit: 100,
    windowMs: 60_000,
    algorithms: ['sliding-log'],
    seed: 1,
    durationMs: 60_000,
  });
  const titles = LIMIT_SET_COLUMNS.map((c) => c.title('60s'));
  const lines = renderTable(simulation.report).split('\n');
  const header = lines.findIndex((line) => line.startsWith('limits '));
  assert.deepEqual(lines[header]?.split(/ {2,}/), titles);
  const cells = (line: string | undefined): string[] => (line ?? '').split(/ {2,}/);
  const rows = [1, 2, 3].map((n) => cells(lines[header + 1 + n]));
  const expected = (simulation.report.limitSets?.results ?? []).map((r) => LIMIT_SET_COLUMNS.map((c) => c.cell(r)));
  assert.equal(expected.length, 3);
  assert.deepEqual(rows, expected);
  assert.deepEqual(
    rows.map((r) => r[0]),
    ['per-source alone', 'global alone', 'set of both'],
  );
  assert.match(lines.join(' '), /The set admits exactly what the global limit alone does/);

  const html = renderHtmlReport(simulation);
  const table = html.match(/<table id="limit-sets">([\s\S]*?)<\/table>/)?.[1] ?? '';
  assert.deepEqual(
    [...table.matchAll(/<th>(.*?)<\/th>/g)].map((m) => m[1]),
    titles,
  );
  const htmlRows = [...table.matchAll(/<tr data-limits="[^"]+">(.*?)<\/tr>/g)].map((m) =>
    [...(m[1] as string).matchAll(/<td>(.*?)<\/td>/g)].map((td) => td[1]),
  );
  assert.deepEqual(htmlRows, expected);
  for (const column of LIMIT_SET_COLUMNS) assert.ok(html.includes(`<dt>${column.title('60s')}</dt>`), column.field);
});

test('scenarios without an attack and legitimate clients have no limit-set section', async () => {
  const simulation = await simulate({ limit: 100, windowMs: 60_000, algorithms: ['sliding-log'], seed: 1 });
  assert.equal(simulation.report.limitSets, undefined);
  assert.doesNotMatch(renderTable(simulation.report), /Limit sets/);
  assert.doesNotMatch(renderHtmlReport(simulation), /limit-sets/);
});
