import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { parse } from 'csv-parse/sync';
import { SimulateError } from './errors.js';
import type { Arrival } from './types.js';

const TIMESTAMP_NAMES = ['timestamp', 'ts', 'time', 'timestamp_ms'];

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
 *
 * @example
 * const arrivals = readTrace('traffic.csv', 100);
 */
export function readTrace(path: string, maxCost: number): Arrival[] {
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
  const arrivals = rows.map((row) => toArrival(row, name, maxCost));
  if (arrivals.length === 0) {
    throw new SimulateError('FG_SIM_TRACE_INVALID', `--trace: ${path} holds no requests`);
  }
  return arrivals;
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

function toArrival(row: RawRow, name: string, maxCost: number): Arrival {
  const where = `${name}:${row.line}`;
  const timestamp = typeof row.timestamp === 'string' && row.timestamp !== '' ? Number(row.timestamp) : row.timestamp;
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp) || timestamp < 0) {
    throw new SimulateError(
      'FG_SIM_TRACE_INVALID',
      `${where}: timestamp ${JSON.stringify(row.timestamp)} is not a number of milliseconds (expected a finite number >= 0)`,
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
  return { at: Math.floor(timestamp), key, cost };
}
