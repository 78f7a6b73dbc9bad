import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { flowgate } from './cli.js';
import { renderReport } from './render.js';

test('--out writes a self-contained report that renders in headless Chromium', async () => {
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
  assert.equal(seen.svgCount, 1);
  assert.equal(seen.tableRows, 5);
  assert.deepEqual(
    seen.series.map((s) => s.algorithm),
    ['fixed-window', 'sliding-log', 'sliding-window', 'token-bucket', 'leaky-bucket'],
  );
  for (const series of seen.series) {
    assert.ok(series.width > 100 && series.height > 0 && series.pathLength > 0, JSON.stringify(series));
  }
  // The burst panels reach the top of the shared scale; the leaky bucket's served stream stays low.
  const height = (name: string): number => seen.series.find((s) => s.algorithm === name)?.height ?? 0;
  assert.ok(height('fixed-window') > 10 * height('leaky-bucket'));
  assert.ok(seen.boundaries >= 1, 'the window boundary is marked');
});
