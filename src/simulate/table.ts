import { formatBytes, formatCount, formatDuration, formatPercent } from './format.js';
import type { AlgorithmResult, SimulationReport } from './simulate.js';

interface Column {
  readonly title: string;
  readonly left?: boolean;
  readonly cell: (result: AlgorithmResult) => string;
}

/**
 * The terminal table of a report: one row per algorithm, then the notes that
 * define the columns.
 *
 * @example
 * process.stdout.write(renderTable(report));
 */
export function renderTable(report: SimulationReport): string {
  const { params, results } = report;
  const window = formatDuration(params.windowMs);
  const showAllKeys = results.some((r) => r.maxAdmittedInWindowAllKeys !== r.maxAdmittedInWindow);
  const columns: Column[] = [
    { title: 'algorithm', left: true, cell: (r) => r.algorithm },
    { title: 'admitted', cell: (r) => formatCount(r.admitted) },
    { title: 'denied', cell: (r) => formatCount(r.denied) },
    { title: `max in ${window}`, cell: (r) => formatCount(r.maxAdmittedInWindow) },
    ...(showAllKeys
      ? [{ title: 'all keys', cell: (r: AlgorithmResult) => formatCount(r.maxAdmittedInWindowAllKeys) }]
      : []),
    { title: 'over', cell: (r) => formatCount(r.overAdmitted) },
    { title: 'under', cell: (r) => formatCount(r.underAdmitted) },
    { title: 'wrong', cell: (r) => formatPercent(r.wrongPercent) },
    { title: 'same-history wrong', cell: (r) => formatPercent(r.sameHistory.percent) },
    { title: 'state/key', cell: (r) => formatBytes(r.stateBytesPerKey) },
    {
      title: 'delay p50/p99/max',
      cell: (r) => (r.delays ? `${r.delays.p50}/${r.delays.p99}/${r.delays.max} ms` : '-'),
    },
  ];
  const rows = [columns.map((c) => c.title), ...results.map((r) => columns.map((c) => c.cell(r)))];
  const widths = columns.map((_, i) => Math.max(...rows.map((row) => (row[i] as string).length)));
  const line = (row: string[]): string =>
    row
      .map((text, i) => (columns[i]?.left ? text.padEnd(widths[i] as number) : text.padStart(widths[i] as number)))
      .join('  ')
      .trimEnd();
  const requests = results[0] ? results[0].admitted + results[0].denied : 0;
  const out = [
    `flowgate simulate ${report.scenario}: ${report.summary}`,
    `limit ${formatCount(params.limit)} per ${window}` +
      (params.globalLimit === undefined ? '' : `, global limit ${formatCount(params.globalLimit)} per ${window}`) +
      ` | ${formatDuration(params.durationMs)} of traffic | seed ${params.seed}` +
      (report.scenario === 'retry-storm'
        ? ' | closed loop: requests differ per algorithm'
        : ` | ${formatCount(requests)} requests`),
    '',
    line(rows[0] as string[]),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.slice(1).map(line),
    '',
    ...groupLines(results),
    ...offeredLines(results),
    `max in ${window}: most units admitted for one key in any rolling ${window} (the true burst)${showAllKeys ? '; all keys: the same over every key together' : ''}.`,
    'over / under: requests admitted / denied that the exact sliding log, run on the same trace, denied / admitted.',
    'wrong: (over + under) / requests. same-history wrong: decisions that differ from the exact rule applied to',
    "  the algorithm's own admitted history. state/key: 8 bytes per number of state (fixed window 2, sliding window 3,",
    '  buckets 1); sliding log: 8 bytes x the most timestamps one key held. delay: leaky bucket hold before serving.',
  ];
  return `${out.join('\n')}\n`;
}

function groupLines(results: readonly AlgorithmResult[]): string[] {
  const groups = Object.keys(results[0]?.groups ?? {}).sort();
  if (groups.length < 2) return [];
  const lines = ['admitted / requests by client group:'];
  for (const r of results) {
    const parts = groups.map((g) => {
      const c = r.groups[g] ?? { admitted: 0, denied: 0 };
      return `${g} ${formatCount(c.admitted)} / ${formatCount(c.admitted + c.denied)}`;
    });
    lines.push(`  ${r.algorithm.padEnd(15)} ${parts.join('   ')}`);
  }
  return [...lines, ''];
}

function offeredLines(results: readonly AlgorithmResult[]): string[] {
  const sliding = results.find((r) => r.offeredRateError);
  const e = sliding?.offeredRateError;
  if (!e) return [];
  return [
    `sliding-window estimate vs exact count of offered requests (Cloudflare's method): ${formatCount(e.wrong)} of ${formatCount(e.requests)} requests wrongly decided (${formatPercent(e.percent)}), ${formatCount(e.falsePositives)} of them wrongly limited.`,
    '',
  ];
}
