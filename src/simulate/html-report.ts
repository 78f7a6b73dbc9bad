import { chartData } from './chart-data.js';
import { formatBytes, formatCount, formatDuration, formatPercent } from './format.js';
import type { Simulation } from './simulate.js';
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
  const svg = renderSvgChart(chartData(runs, params.startMs, params.windowMs));
  const rows = report.results
    .map(
      (r) =>
        `<tr><td>${r.algorithm}</td><td>${formatCount(r.admitted)}</td><td>${formatCount(r.denied)}</td>` +
        `<td>${formatCount(r.maxAdmittedInWindow)}</td><td>${formatCount(r.overAdmitted)}</td><td>${formatCount(r.underAdmitted)}</td>` +
        `<td>${formatPercent(r.wrongPercent)}</td><td>${formatPercent(r.sameHistory.percent)}</td><td>${formatBytes(r.stateBytesPerKey)}</td>` +
        `<td>${r.delays ? `${r.delays.p50} / ${r.delays.p99} / ${r.delays.max} ms` : '-'}</td></tr>`,
    )
    .join('\n');
  const global =
    params.globalLimit === undefined ? '' : `, global limit ${formatCount(params.globalLimit)} per ${window}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>flowgate simulate ${escapeHtml(report.scenario)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222;max-width:1000px}
table{border-collapse:collapse;margin:12px 0}td,th{padding:3px 10px;text-align:right;border-bottom:1px solid #eee}
td:first-child,th:first-child{text-align:left}th{font-weight:600}
p.note{color:#555;font-size:12px}
</style>
</head>
<body>
<h1>flowgate simulate ${escapeHtml(report.scenario)}</h1>
<p>${escapeHtml(report.summary)}. Limit ${formatCount(params.limit)} per ${window}${global}; ${formatDuration(params.durationMs)} of traffic; seed ${params.seed}${params.trace ? `; trace ${escapeHtml(params.trace)}` : ''}.</p>
<table id="results">
<thead><tr><th>algorithm</th><th>admitted</th><th>denied</th><th>max in ${window}</th><th>over</th><th>under</th><th>wrong</th><th>same-history wrong</th><th>state/key</th><th>delay p50 / p99 / max</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<p class="note">max in ${window}: most units admitted for one key in any rolling ${window}. over / under: requests admitted / denied that the exact sliding log, run on the same trace, denied / admitted. same-history wrong: decisions that differ from the exact rule applied to the algorithm's own admitted history. state/key: 8 bytes per number of state; sliding log: 8 bytes × the most timestamps one key held.</p>
${svg}
</body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}
