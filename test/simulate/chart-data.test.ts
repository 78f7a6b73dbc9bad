import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chartData, niceCeiling, overviewBinMs } from '../../src/simulate/chart-data.js';
import { simulate } from '../../src/simulate/simulate.js';
import { ALGORITHMS } from '../../src/simulate/types.js';

const MINUTE = 60_000;

test('niceCeiling: an axis ends at the data maximum rounded up to 1, 2, 2.5 or 5 times a power of ten', () => {
  const cases: [number, number][] = [
    [100, 100],
    [166.67, 200],
    [500, 500],
    [1.67, 2],
    [1000, 1000],
    [101, 200],
    [230, 250],
    [0.3, 0.5],
    [0, 1],
  ];
  assert.deepEqual(
    cases.map(([value]) => niceCeiling(value)),
    cases.map(([, nice]) => nice),
  );
});

test('overview bins: a whole number of sustained intervals when the interval is whole ms', () => {
  assert.equal(overviewBinMs(66_000, MINUTE, 100), 600);
  assert.equal(overviewBinMs(1_800_000, MINUTE, 100), 12_000);
  assert.equal(overviewBinMs(1_800_001, MINUTE, 100), 30_000);
  // 60 s / 7 is no whole number of ms: plain nice durations.
  assert.equal(overviewBinMs(66_000, MINUTE, 7), 500);
});

test('boundary-burst: a ±500 ms zoom in 10 ms bins around the boundary, the whole run in 600 ms bins', async () => {
  const { report, runs } = await simulate({ limit: 100, windowMs: MINUTE, algorithms: ALGORITHMS, seed: 1 });
  const { startMs } = report.params;
  const { zoom, overview, sustained } = chartData(runs, report.params);
  // One key: the limit's sustained rate bounds what is charted, so it is drawn.
  assert.deepEqual(sustained, { perSecond: 100_000 / MINUTE, of: 'limit' });
  const boundary = startMs + MINUTE;
  assert.deepEqual(
    [zoom.kind, zoom.boundaryMs, zoom.fromMs, zoom.toMs, zoom.binMs],
    ['zoom', boundary, boundary - 500, boundary + 500, 10],
  );
  const byName = Object.fromEntries(zoom.series.map((s) => [s.algorithm, s]));
  // 200 admitted in 400 ms: 5 per 10 ms bin, 500/s, on 40 bins; the log's 100 on the 20 before the boundary.
  const fixed = byName['fixed-window']?.admitted ?? [];
  assert.deepEqual(fixed.slice(30, 70), Array(40).fill(500));
  assert.equal(
    fixed.reduce((a, b) => a + b, 0),
    200 * 100,
  );
  assert.deepEqual(byName['sliding-log']?.admitted.slice(30, 50), Array(20).fill(500));
  assert.equal(byName['fixed-window']?.yMax, 500);
  assert.equal(overview.binMs, 600);
  assert.equal(overview.fromMs % 600, startMs % 600, 'bins aligned to the window start');
  for (const s of [...zoom.series, ...overview.series]) assert.equal(s.yMax, niceCeiling(Math.max(...s.admitted)));
  const leaky = overview.series.find((s) => s.algorithm === 'leaky-bucket');
  // One request served each 600 ms: every bin from the burst to the last request holds exactly one.
  const served = (leaky?.admitted ?? []).filter((v) => v > 0);
  assert.equal(served.length, 100);
  assert.ok(served.every((v) => v === 1000 / 600));
  assert.equal(leaky?.yMax, 2);
});

test('steady traffic: the zoom is the window around the busiest boundary, in 1 s bins', async () => {
  const { report, runs } = await simulate({
    scenario: 'steady',
    limit: 100,
    windowMs: MINUTE,
    algorithms: ['sliding-log'],
    seed: 1,
    durationMs: 5 * MINUTE,
  });
  const { zoom, sustained } = chartData(runs, report.params);
  assert.equal(sustained, undefined, "40 keys and no global limit: one key's rate bounds nothing charted");
  const boundary = zoom.boundaryMs as number;
  assert.equal((boundary - report.params.startMs) % MINUTE, 0);
  assert.deepEqual([zoom.toMs - zoom.fromMs, zoom.binMs], [MINUTE, 1000]);
});
