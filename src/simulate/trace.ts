import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { parse } from 'csv-parse/sync';
import { SimulateError } from './errors.js';
import type { Arrival } from './types.js';

const TIMESTAMP_NAMES = ['timestamp', 'ts', 'time', 'timestamp_ms'];

/** The unit of a trace's timestamps (`--time-unit`). */
export type TimeUnit = 'ms' | 's';

/**
 * Unix seconds from 2001-09-09 to 2286-11-20. Read as milliseconds the same
 * numbers fall between 1970-01-12 and 1970-04-26, which no real trace records:
 * a trace whose every timestamp is in this range was written in seconds.
 */
const EPOCH_SECONDS = { from: 1e9, to: 1e10 } as const;

/**
 * Reads a trace of the user's own traffic: one request per line, with a
 * timestamp in ms (epoch or relative: windows are aligned to 0 either way), a
 * key and an optional cost (default 1, at most `maxCost`).
 *
 * - `.csv`: `timestamp,key[,cost]`; an optional header row names the columns
 *   (`timestamp`|`ts`|`time`, `key`, `cost`) in any order; `#` starts a comment.
 * - `.jsonl` / `.ndjson`: one object per line, `{"timestamp": 1767225600123, "key": "user:1", "cost": 2}`
 *   (`ts` works for `timestamp`).
 *
 * Fractional timestamps are rounded down to the millisecond, as the memory store does.
 * With `timeUnit: 's'` timestamps are seconds (`1767225600.25` is 1767225600250 ms).
 * Without `timeUnit`, a trace whose every timestamp looks like Unix seconds
 * (1e9 to 1e10: 2001 to 2286 in seconds, the first months of 1970 in ms) is
 * refused with `FG_SIM_TRACE_SECONDS` rather than replayed 1000 times too fast.
 *
 * @example
 * const arrivals = readTrace('traffic.csv', 100);
 * const fromSeconds = readTrace('access-log.csv', 100, 's');
 */
export function readTrace(path: string, maxCost: number, timeUnit?: TimeUnit): Arrival[] {
  const extension = extname(path).toLowerCase();
  if (!['.csv', '.jsonl', '.ndjson'].includes(extension)) {
    throw new SimulateError(
      'FG_SIM_TRACE_INVALID',
      `--trace: received ${JSON.stringify(path)}, expected a file ending in .csv, .jsonl or .ndjson`,
    );
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new SimulateError('FG_SIM_TRACE_INVALID', `--trace: cannot read ${path}: ${(error as Error).message}`);
  }
  const rows = extension === '.csv' ? csvRows(text, path) : jsonlRows(text, path);
  const name = basename(path);
  const requests = rows.map((row) => toRequest(row, name, maxCost));
  if (requests.length === 0) {
    throw new SimulateError('FG_SIM_TRACE_INVALID', `--trace: ${path} holds no requests`);
  }
  if (timeUnit === undefined) refuseEpochSeconds(requests, name);
  // Whole microseconds first, so 1767225600.123 s is 1767225600123 ms and not ...122.99 floored.
  const toMs = timeUnit === 's' ? (t: number) => Math.floor(Math.round(t * 1e6) / 1e3) : Math.floor;
  return requests.map(({ timestamp, key, cost }) => ({ at: toMs(timestamp), key, cost }));
}

/** Throws `FG_SIM_TRACE_SECONDS` when every timestamp reads as Unix seconds. */
function refuseEpochSeconds(requests: readonly Request[], name: string): void {
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const { timestamp } of requests) {
    if (timestamp < EPOCH_SECONDS.from || timestamp >= EPOCH_SECONDS.to) return;
    first = Math.min(first, timestamp);
    last = Math.max(last, timestamp);
  }
  const asSeconds = new Date(first * 1000).toISOString();
  const asMs = new Date(first).toISOString();
  throw new SimulateError(
    'FG_SIM_TRACE_SECONDS',
    `--trace ${name}: the timestamps look like Unix seconds, not milliseconds: the earliest, ${first}, is ` +
      `${asSeconds} in seconds but ${asMs} in milliseconds, and the trace spans ${formatSpan(last - first)} ` +
      `in seconds but ${formatSpan((last - first) / 1000)} in milliseconds. Pass --time-unit s to read them as ` +
      'seconds (or multiply them by 1000), or --time-unit ms if they really are milliseconds',
  );
}

/** A span of `seconds` as a person would say it. */
function formatSpan(seconds: number): string {
  if (seconds >= 86_400) return `${+(seconds / 86_400).toFixed(1)} days`;
  if (seconds >= 3600) return `${+(seconds / 3600).toFixed(1)} h`;
  if (seconds >= 60) return `${+(seconds / 60).toFixed(1)} min`;
  if (seconds >= 1) return `${+seconds.toFixed(1)} s`;
  return `${+(seconds * 1000).toFixed(1)} ms`;
}

interface RawRow {
  readonly line: number;
  readonly timestamp: unknown;
  readonly key: unknown;
  readonly cost: unknown;
}

function csvRows(text: string, path: string): RawRow[] {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    const options = { relax_column_count: true, skip_empty_lines: true, trim: true, comment: '#', info: true };
    records = parse(text, options) as unknown as typeof records;
  } catch (error) {
    throw new SimulateError('FG_SIM_TRACE_INVALID', `--trace: ${path} is not valid CSV: ${(error as Error).message}`);
  }
  let columns = { timestamp: 0, key: 1, cost: 2 };
  const first = records[0]?.record[0];
  if (first !== undefined && first !== '' && Number.isNaN(Number(first))) {
    const header = (records.shift()?.record ?? []).map((name) => name.toLowerCase());
    const find = (names: string[]): number => header.findIndex((name) => names.includes(name));
    columns = { timestamp: find(TIMESTAMP_NAMES), key: find(['key']), cost: find(['cost']) };
    if (columns.timestamp < 0 || columns.key < 0) {
      throw new SimulateError(
        'FG_SIM_TRACE_INVALID',
        `--trace: ${path}: header ${JSON.stringify(header.join(','))} lacks a timestamp (or ts) and a key column`,
      );
    }
  }
  return records.map(({ record, info }) => ({
    line: info.lines,
    timestamp: record[columns.timestamp],
    key: record[columns.key],
    cost: columns.cost < 0 || record[columns.cost] === '' ? undefined : record[columns.cost],
  }));
}

function jsonlRows(text: string, path: string): RawRow[] {
  const rows: RawRow[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new SimulateError(
        'FG_SIM_TRACE_INVALID',
        `${basename(path)}:${i + 1}: not valid JSON: ${line.slice(0, 80)}`,
      );
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new SimulateError(
        'FG_SIM_TRACE_INVALID',
        `${basename(path)}:${i + 1}: expected an object like {"timestamp": 0, "key": "a"}`,
      );
    }
    const object = value as Record<string, unknown>;
    rows.push({ line: i + 1, timestamp: object.timestamp ?? object.ts, key: object.key, cost: object.cost });
  }
  return rows;
}

/** One valid line, its timestamp still in the file's unit. */
interface Request {
  readonly timestamp: number;
  readonly key: string;
  readonly cost: number;
}

function toRequest(row: RawRow, name: string, maxCost: number): Request {
  const where = `${name}:${row.line}`;
  const timestamp = typeof row.timestamp === 'string' && row.timestamp !== '' ? Number(row.timestamp) : row.timestamp;
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp) || timestamp < 0) {
    throw new SimulateError(
      'FG_SIM_TRACE_INVALID',
      `${where}: timestamp ${JSON.stringify(row.timestamp)} is not a number of milliseconds (expected a finite number >= 0; seconds with --time-unit s)`,
    );
  }
  const key = typeof row.key === 'number' ? String(row.key) : row.key;
  if (typeof key !== 'string' || key === '') {
    throw new SimulateError(
      'FG_SIM_TRACE_INVALID',
      `${where}: key ${JSON.stringify(row.key)} is not a non-empty string`,
    );
  }
  const cost = row.cost === undefined || row.cost === null ? 1 : Number(row.cost);
  if (!Number.isInteger(cost) || cost < 1 || cost > maxCost) {
    throw new SimulateError(
      'FG_SIM_TRACE_INVALID',
      `${where}: cost ${JSON.stringify(row.cost)} is not a whole number from 1 to ${maxCost} (the limit; a larger cost could never be admitted)`,
    );
  }
  return { timestamp, key, cost };
}
