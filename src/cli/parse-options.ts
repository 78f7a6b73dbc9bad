import { InvalidArgumentError } from 'commander';
import { IssueList } from '../errors.js';
import { parseDuration } from '../policies/duration.js';
import type { Algorithm } from '../policies/policy.js';
import { MAX_LOG_LIMIT } from '../policies/sliding-log.js';
import { ALGORITHMS } from '../simulate/types.js';

// Commander calls these with the raw flag text; an InvalidArgumentError becomes
// "error: option '--limit <n>' argument 'abc' is invalid. <message>" and exit code 1.

/** `--limit`, `--global-limit`: the sliding log is always run as the reference, so its ceiling applies. */
export function parseLimit(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < 1 || value > MAX_LOG_LIMIT) {
    throw new InvalidArgumentError(`expected a whole number from 1 to ${MAX_LOG_LIMIT}, e.g. 100`);
  }
  return value;
}

/** `--window`, `--duration`: `60s`, `1m`, `500ms` or a number of ms. */
export function parseDurationFlag(text: string): number {
  const issues = new IssueList();
  const ms = parseDuration(issues, 'duration', /^\d+$/.test(text.trim()) ? Number(text) : text);
  if (ms === undefined)
    throw new InvalidArgumentError('expected a duration such as 500ms, 10s, 1m, 1h or a number of ms');
  return ms;
}

/** `--algorithms`: a comma-separated list of algorithm names, or `all`. */
export function parseAlgorithms(text: string): Algorithm[] {
  if (text.trim() === 'all') return [...ALGORITHMS];
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const unknown = names.filter((name) => !ALGORITHMS.includes(name as Algorithm));
  if (names.length === 0 || unknown.length > 0) {
    const what = unknown.length > 0 ? `unknown algorithm ${JSON.stringify(unknown[0])}; ` : '';
    throw new InvalidArgumentError(`${what}expected a comma-separated list of ${ALGORITHMS.join(', ')} (or all)`);
  }
  // Report order, without duplicates.
  return ALGORITHMS.filter((algorithm) => names.includes(algorithm));
}

/** `--seed`: a whole number from 0 to 2^32 - 1. */
export function parseSeed(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value > 0xffffffff) {
    throw new InvalidArgumentError('expected a whole number from 0 to 4294967295');
  }
  return value;
}
