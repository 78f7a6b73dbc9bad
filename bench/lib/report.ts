// Turns the raw repetitions into the markdown report: medians, ratios to the
// baseline, and whether flowgate meets the targets of the performance issue.

import { ADAPTERS, BASELINE } from './adapters.js';

export type Samples = Record<string, Record<string, number[]>>;

export interface Column {
  id: string;
  title: string;
  unit: 'ops' | 'bytes';
}

export const COLUMNS: readonly Column[] = [
  { id: 'hot-accept', title: 'hot key, accept', unit: 'ops' },
  { id: 'keys100k-accept', title: '100k keys, accept', unit: 'ops' },
  { id: 'hot-reject', title: 'hot key, reject', unit: 'ops' },
  { id: 'keys100k-reject', title: '100k keys, reject', unit: 'ops' },
  { id: 'heap', title: 'heap bytes/key', unit: 'bytes' },
];

/** Targets: flowgate's ratio to the baseline for throughput (at least), bytes per key for heap (at most). */
const TARGETS: readonly { column: string; text: string; pass: (median: number, ratio: number) => boolean }[] = [
  { column: 'hot-accept', text: 'hot key ≥ 3× RateLimiterMemory', pass: (_, r) => r >= 3 },
  { column: 'keys100k-accept', text: '100k keys ≥ 2.5× RateLimiterMemory', pass: (_, r) => r >= 2.5 },
  { column: 'hot-reject', text: 'reject path (hot key) ≥ 10× RateLimiterMemory', pass: (_, r) => r >= 10 },
  { column: 'keys100k-reject', text: 'reject path (100k keys) ≥ 10× RateLimiterMemory', pass: (_, r) => r >= 10 },
  { column: 'heap', text: 'heap ≤ 150 bytes per key at 1M keys', pass: (m) => m <= 150 },
];

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function medianOf(samples: Samples, id: string, column: string): number | undefined {
  const values = samples[id]?.[column];
  return values && values.length > 0 ? median(values) : undefined;
}

function formatOps(value: number): string {
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)} M/s`;
  return `${(value / 1e3).toFixed(0)} k/s`;
}

function cell(samples: Samples, id: string, column: Column): string {
  const value = medianOf(samples, id, column.id);
  if (value === undefined) return 'n/a';
  const base = medianOf(samples, BASELINE, column.id);
  const shown = column.unit === 'ops' ? formatOps(value) : value.toFixed(0);
  if (id === BASELINE || base === undefined) return shown;
  return `${shown} (${(value / base).toFixed(2)}×)`;
}

export function table(samples: Samples, ids: readonly string[]): string {
  const header = `| library | API | ${COLUMNS.map((c) => c.title).join(' | ')} |`;
  const rule = `|---|---|${COLUMNS.map(() => '---:').join('|')}|`;
  const rows = ids.map((id) => {
    const adapter = ADAPTERS[id];
    if (!adapter) throw new Error(`unknown adapter ${id}`);
    return `| ${adapter.label} | ${adapter.api} | ${COLUMNS.map((c) => cell(samples, id, c)).join(' | ')} |`;
  });
  return [header, rule, ...rows].join('\n');
}

/** One line per target: met or not, with the worst flowgate policy named. */
export function targets(samples: Samples, ids: readonly string[]): string {
  const flowgateIds = ids.filter((id) => id.startsWith('flowgate:'));
  const lines: string[] = [];
  for (const target of TARGETS) {
    const base = medianOf(samples, BASELINE, target.column);
    const misses: string[] = [];
    let measured = 0;
    for (const id of flowgateIds) {
      const value = medianOf(samples, id, target.column);
      if (value === undefined || base === undefined) continue;
      measured++;
      const ratio = value / base;
      if (!target.pass(value, ratio)) {
        const shown = target.column === 'heap' ? `${value.toFixed(0)} B` : `${ratio.toFixed(2)}×`;
        misses.push(`${id.slice('flowgate:'.length)} (${shown})`);
      }
    }
    if (measured === 0) lines.push(`- ${target.text}: not measured in this run`);
    else if (misses.length === 0)
      lines.push(`- ${target.text}: **met** by every flowgate policy measured (${measured})`);
    else lines.push(`- ${target.text}: **missed** by ${misses.join(', ')}`);
  }
  return lines.join('\n');
}
