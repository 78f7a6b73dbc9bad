import { chartData } from './chart-data.js';
import { columnsFor, offeredRateSummary } from './columns.js';
import { formatCount, formatDuration } from './format.js';
import { LIMIT_SET_COLUMNS, limitSetsFinding, limitSetsScope, limitSetsTitle } from './limit-set-columns.js';
import type { Simulation, SimulationReport } from './simulate.js';
import { renderSvgChart } from './svg-chart.js';

/**
 * A self-contained HTML page (no script, no network): the parameters, the
 * results table and an inline SVG chart of admitted requests per second per
 * algorithm with the window boundaries marked.
 *
 * @example
 * writeFileSync('report.html', renderHtmlReport(await simulate(options)));
 */
export function renderHtmlReport(simulation: Simulation): string {
  const { report, runs } = simulation;
  const { params } = report;
  const window = formatDuration(params.windowMs);
  const charts = chartData(runs, params);
  const zoom = charts.zoom;
  const half = formatDuration((zoom.toMs - zoom.fromMs) / 2);
  const boundaryAt = formatDuration((zoom.boundaryMs as number) - params.startMs);
  const columns = columnsFor(report.results);
  const head = columns.map((c) => `<th>${escapeHtml(c.title(window))}</th>`).join('');
  const rows = report.results
    .map((r) => `<tr>${columns.map((c) => `<td>${escapeHtml(c.cell(r))}</td>`).join('')}</tr>`)
    .join('\n');
  const legend = columns
    .slice(3)
    .map((c) => `<dt>${escapeHtml(c.title(window))}</dt><dd>${escapeHtml(c.help(window))}</dd>`)
    .join('\n');
  const offered = offeredRateSummary(report.results);
  const global =
    params.globalLimit === undefined ? '' : `, global limit ${formatCount(params.globalLimit)} per ${window}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>flowgate simulate ${escapeHtml(report.scenario)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222}
h2{font-size:16px;margin:28px 0 4px}
table{border-collapse:collapse;margin:12px 0;width:100%}
td,th{padding:3px 10px;text-align:right;border-bottom:1px solid #eee;white-space:nowrap}
td:first-child,th:first-child{text-align:left}th{font-weight:600;vertical-align:bottom}
dl.legend{display:grid;grid-template-columns:max-content 1fr;gap:3px 14px;margin:8px 0;font-size:12.5px;color:#444}
dl.legend dt{font-weight:600;white-space:nowrap}dl.legend dd{margin:0}
p.note{color:#555;font-size:12.5px;margin:4px 0}
svg.chart{display:block;width:100%;height:auto}
</style>
</head>
<body>
<h1>flowgate simulate ${escapeHtml(report.scenario)}</h1>
<p>${escapeHtml(report.summary)}. Limit ${formatCount(params.limit)} per ${window}${global}; ${formatDuration(params.durationMs)} of traffic; seed ${params.seed}${params.trace ? `; trace ${escapeHtml(params.trace)}` : ''}.</p>
<table id="results">
<thead><tr>${head}</tr></thead>
<tbody>
${rows}
</tbody>
</table>
<dl class="legend" id="columns">
${legend}
</dl>
${offered === undefined ? '' : `<p class="note" id="offered-rate">${escapeHtml(offered)}</p>`}
${renderLimitSets(report)}
<h2>Around the window boundary at ${boundaryAt}: ±${half} in ${formatDuration(zoom.binMs)} bins</h2>
<p class="note">Each panel has its own y axis, from 0 to its peak rounded up. Grey: every request offered; colour: the requests admitted (the leaky bucket's when it serves them).</p>
${renderSvgChart(charts, zoom)}
<h2>The whole run, in ${formatDuration(charts.overview.binMs)} bins</h2>
${renderSvgChart(charts, charts.overview)}
</body>
</html>
`;
}

/** The limit-set comparison, when the report has one: a heading, its table, what it shows and each column explained. */
function renderLimitSets(report: SimulationReport): string {
  const comparison = report.limitSets;
  if (comparison === undefined) return '';
  const { params } = report;
  const window = formatDuration(params.windowMs);
  const scope = limitSetsScope(
    comparison,
    `${formatCount(params.limit)} per ${window}`,
    `${formatCount(params.globalLimit ?? 0)} per ${window}`,
  );
  const head = LIMIT_SET_COLUMNS.map((c) => `<th>${escapeHtml(c.title(window))}</th>`).join('');
  const rows = comparison.results
    .map(
      (r) =>
        `<tr data-limits="${r.limits}">${LIMIT_SET_COLUMNS.map((c) => `<td>${escapeHtml(c.cell(r))}</td>`).join('')}</tr>`,
    )
    .join('\n');
  const legend = LIMIT_SET_COLUMNS.map(
    (c) => `<dt>${escapeHtml(c.title(window))}</dt><dd>${escapeHtml(c.help(window))}</dd>`,
  ).join('\n');
  const sentence = `${scope.charAt(0).toUpperCase()}${scope.slice(1)}`;
  return `<h2>${escapeHtml(limitSetsTitle(comparison))}: a per-source limit, a global limit, and both</h2>
<p>${escapeHtml(sentence)}</p>
<table id="limit-sets">
<thead><tr>${head}</tr></thead>
<tbody>
${rows}
</tbody>
</table>
<p class="note" id="limit-sets-finding">${escapeHtml(limitSetsFinding(comparison))}</p>
<dl class="legend" id="limit-set-columns">
${legend}
</dl>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}
