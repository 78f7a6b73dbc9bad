// One implementation per idea (STYLE.md): one RollingWindow for every exact
// count, one COLUMNS list for the terminal table, the HTML table and --help.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COLUMNS, columnsFor } from '../../src/simulate/columns.js';
import { renderHtmlReport } from '../../src/simulate/html-report.js';
import { RollingWindow } from '../../src/simulate/rolling-window.js';
import { simulate } from '../../src/simulate/simulate.js';
import { renderTable } from '../../src/simulate/table.js';
import { ALGORITHMS } from '../../src/simulate/types.js';

test('RollingWindow counts (t - window, t], as the sliding log does', () => {
  const window = new RollingWindow(1000);
  assert.equal(window.add(0, 2), 2);
  assert.equal(window.add(999, 1), 3);
  assert.equal(window.sumAt(999), 3);
  assert.equal(window.sumAt(1000), 1, 'the units added at 0 leave at exactly 0 + window');
  assert.equal(window.add(1998, 1), 2);
  assert.equal(window.sumAt(1999), 1);
  assert.equal(window.sumAt(5000), 0);
  // Long runs: the consumed prefix is dropped without changing the sum.
  const long = new RollingWindow(10);
  for (let t = 0; t < 5000; t++) assert.equal(long.add(t, 1), Math.min(t + 1, 10));
});

test('the terminal table and the HTML table show the same COLUMNS, each explained', async () => {
  const { report, runs } = await simulate({ limit: 100, windowMs: 60_000, algorithms: ALGORITHMS, seed: 1 });
  const titles = columnsFor(report.results).map((c) => c.title('60s'));
  assert.ok(titles.length >= 10);
  const header = renderTable(report).split('\n')[3] as string;
  assert.deepEqual(header.trim().split(/ {2,}/), titles);
  const html = renderHtmlReport({ report, runs });
  const th = [...(html.match(/<thead><tr>(.*?)<\/tr><\/thead>/)?.[1] ?? '').matchAll(/<th[^>]*>(.*?)<\/th>/g)];
  assert.deepEqual(
    th.map((m) => m[1]),
    titles,
  );
  for (const column of COLUMNS.slice(3)) {
    if (!titles.includes(column.title('60s'))) continue;
    assert.ok(renderTable(report).includes(`${column.title('60s')}: `), `table note for ${column.field}`);
    assert.ok(html.includes(`<dt>${column.title('60s')}</dt>`), `HTML legend for ${column.field}`);
  }
});
