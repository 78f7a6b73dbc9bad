import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { niceCeiling } from '../../src/simulate/chart-data.js';
import { COLUMNS } from '../../src/simulate/columns.js';
import { LIMIT_SET_COLUMNS } from '../../src/simulate/limit-set-columns.js';
import { flowgate } from './cli.js';
import { type RenderedChart, type RenderedPanel, renderReport } from './render.js';

const ALGORITHMS = ['fixed-window', 'sliding-log', 'sliding-window', 'token-bucket', 'leaky-bucket'];
/** The boundary-burst's window boundary: the second window start from 2026-01-01. */
const BOUNDARY = Date.UTC(2026, 0, 1) + 60_000;

function panel(chart: RenderedChart | undefined, algorithm: string): RenderedPanel {
  const found = chart?.panels.find((p) => p.algorithm === algorithm);
  assert.ok(found, algorithm);
  return found;
}

test('--out writes a self-contained report that shows its point in headless Chromium', async () => {
  assert.ok(existsSync('/usr/bin/chromium'), 'the render test needs the Debian chromium package at /usr/bin/chromium');
  const dir = mkdtempSync(join(tmpdir(), 'flowgate-report-'));
  const file = join(dir, 'report.html');
  const run = flowgate('simulate', '--out', file);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /wrote .*report\.html/);
  const html = readFileSync(file, 'utf8');
  assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/, 'no scripts, no external resources');
  const seen = await renderReport(file);
  assert.deepEqual(seen.consoleErrors, []);
  assert.equal(seen.svgCount, 2);

  // The table: every column with its explanation next to it, and no cell wraps ("sliding-/window").
  assert.deepEqual(
    seen.headerCells,
    COLUMNS.filter((c) => c.field !== 'maxAdmittedInWindowAllKeys').map((c) => c.title('60s')),
  );
  assert.deepEqual(seen.legendTerms, seen.headerCells.slice(3));
  assert.equal(seen.rowHeights.length, 5);
  assert.equal(new Set(seen.rowHeights).size, 1, `rows of one height: ${seen.rowHeights}`);

  const { zoom, overview } = seen.charts;
  assert.ok(zoom && overview, 'a zoom around the boundary and the whole run');
  for (const chart of [zoom, overview]) {
    // The page's width, not a fixed 660 px.
    assert.ok(chart.width >= 0.95 * seen.bodyWidth, `chart ${chart.width} px of ${seen.bodyWidth}`);
    assert.deepEqual(
      chart.panels.map((p) => p.algorithm),
      ALGORITHMS,
    );
    for (const p of chart.panels) {
      // Each y axis ends at its data's peak rounded up: 500 for 500/s, 200 for 166.67/s, 2 for 1.67/s.
      assert.equal(p.yMax, niceCeiling(p.peak), `${p.algorithm}: y max ${p.yMax} for a peak of ${p.peak}`);
      assert.equal(p.yMaxLabel, String(p.yMax));
      assert.ok(p.width > 0 && p.height > 0 && p.pathLength > 0, JSON.stringify(p));
    }
    assert.ok(chart.boundaries >= 1, 'the window boundary is marked');
  }
  assert.ok(seen.tableWidth >= 0.95 * seen.bodyWidth);

  // The zoom: ±500 ms around the boundary in 10 ms bins, where the fixed window's 200 in 400 ms is
  // twice as wide as everyone else's 100 in 200 ms.
  assert.deepEqual(
    [zoom.boundaryMs, zoom.fromMs, zoom.toMs, zoom.binMs],
    [BOUNDARY, BOUNDARY - 500, BOUNDARY + 500, 10],
  );
  assert.equal(panel(zoom, 'fixed-window').peak, 500);
  assert.equal(panel(zoom, 'fixed-window').yMax, 500);
  const fixedWidth = panel(zoom, 'fixed-window').width;
  for (const name of ['sliding-log', 'sliding-window', 'token-bucket']) {
    assert.ok(Math.abs(fixedWidth - 2 * panel(zoom, name).width) < 2, `${name}: ${panel(zoom, name).width} px`);
  }
  // The overview: bins of one sustained interval (60 s / 100 = 600 ms), so the leaky bucket's
  // output, one request each 600 ms, is one even band at 1.67/s on an axis to 2, not a sliver.
  assert.equal(overview.binMs, 600);
  assert.deepEqual([panel(overview, 'fixed-window').peak, panel(overview, 'fixed-window').yMax], [166.67, 200]);
  const leaky = panel(overview, 'leaky-bucket');
  assert.deepEqual([leaky.peak, leaky.yMax, leaky.yMaxLabel], [1.67, 2, '2']);
  assert.ok(leaky.height >= 0.8 * leaky.plotHeight, `leaky output ${leaky.height} px of ${leaky.plotHeight}`);
  assert.ok(leaky.width >= 0.8 * overview.width, `leaky output spans ${leaky.width} px of ${overview.width}`);
});

test('the botnet report shows the limit-set comparison as a table in headless Chromium', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowgate-report-'));
  const file = join(dir, 'botnet.html');
  const run = flowgate('simulate', 'botnet', '--duration', '1m', '--algorithms', 'sliding-log', '--out', file);
  assert.equal(run.status, 0, run.stderr);
  const seen = await renderReport(file);
  assert.deepEqual(seen.consoleErrors, []);
  // 1 minute, seed 1: the exact log admits the first 10,000 requests; the botnet sends 50,000 and the
  // 20 legitimate clients 988.
  assert.deepEqual(seen.limitSetCells, [
    LIMIT_SET_COLUMNS.map((c) => c.title('60s')),
    ['per-source alone', '50,000 / 50,000', '988 / 988', '100.0%', '50,988', '59'],
    ['global alone', '9,803 / 50,000', '197 / 988', '19.9%', '10,000', '16'],
    ['set of both', '9,803 / 50,000', '197 / 988', '19.9%', '10,000', '16'],
  ]);
});

test('docs/report-screenshot.png is a full-width render of the current report', () => {
  // Regenerate: see test/simulate/screenshot.ts. The PNG header holds the width at bytes 16-19.
  const png = readFileSync(new URL('../../docs/report-screenshot.png', import.meta.url));
  assert.equal(png.readUInt32BE(16), 1400, 'rendered at the 1400 px viewport of render.ts');
});
