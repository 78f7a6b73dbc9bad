import { type Column, columnsFor, offeredRateSummary } from './columns.js';
import { formatCount, formatDuration } from './format.js';
import { LIMIT_SET_COLUMNS, limitSetsFinding, limitSetsScope, limitSetsTitle } from './limit-set-columns.js';
import type { AlgorithmResult, SimulationReport } from './simulate.js';

/** Width the notes under the table are wrapped to. */
const NOTE_WIDTH = 110;

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
  const columns = columnsFor(results);
  const table = alignedTable(columns, results, window);
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
    ...table,
    '',
    ...groupLines(results),
    ...limitSetLines(report),
    ...offeredLines(results),
    ...columnNotes(columns, window),
  ];
  return `${out.join('\n')}\n`;
}

/**
 * Rows of `columns` aligned under their titles, with a rule under the header:
 * text columns flush left, numbers flush right.
 */
export function alignedTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[], window: string): string[] {
  const cells = [columns.map((c) => c.title(window)), ...rows.map((r) => columns.map((c) => c.cell(r)))];
  const widths = columns.map((_, i) => Math.max(...cells.map((row) => (row[i] as string).length)));
  const line = (row: string[]): string =>
    row
      .map((text, i) => (columns[i]?.left ? text.padEnd(widths[i] as number) : text.padStart(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [line(cells[0] as string[]), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)];
}

/** The limit-set comparison, when the report has one: heading, one row per configuration, what it shows. */
function limitSetLines(report: SimulationReport): string[] {
  const comparison = report.limitSets;
  if (comparison === undefined) return [];
  const { params } = report;
  const window = formatDuration(params.windowMs);
  const scope = limitSetsScope(
    comparison,
    `${formatCount(params.limit)} per ${window}`,
    `${formatCount(params.globalLimit ?? 0)} per ${window}`,
  );
  return [
    ...wrap(`${limitSetsTitle(comparison)}: ${scope}`, NOTE_WIDTH, '  '),
    ...alignedTable(LIMIT_SET_COLUMNS, comparison.results, window),
    '',
    ...wrap(limitSetsFinding(comparison), NOTE_WIDTH, '  '),
    '',
  ];
}

/** `title: help` for each column but the self-explanatory first three, wrapped. */
function columnNotes(columns: readonly Column[], window: string): string[] {
  return columns.slice(3).flatMap((c) => wrap(`${c.title(window)}: ${c.help(window)}`, NOTE_WIDTH, '  '));
}

/** Greedy word wrap; continuation lines start with `indent`. */
export function wrap(text: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    const candidate = current === '' ? word : `${current} ${word}`;
    if (candidate.length > width && current !== '') {
      lines.push(current);
      current = `${indent}${word}`;
    } else {
      current = candidate;
    }
  }
  if (current !== '') lines.push(current);
  return lines;
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
  const summary = offeredRateSummary(results);
  return summary === undefined ? [] : [...wrap(summary, NOTE_WIDTH, '  '), ''];
}
