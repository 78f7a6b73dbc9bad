import type { IssueList } from '../errors.js';

/** Largest limit or capacity: far beyond any real quota, and keeps scaled sums within 2^53. */
export const MAX_LIMIT = 1_000_000_000;

/** Records an issue unless `value` is a whole number in `[1, max]`. */
export function positiveInteger(
  issues: IssueList,
  code: 'FG_LIMIT_INVALID' | 'FG_CAPACITY_INVALID' | 'FG_MAX_KEYS_INVALID' | 'FG_SHARDS_INVALID',
  option: string,
  value: unknown,
  max = MAX_LIMIT,
): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= max) return value;
  issues.add(code, option, value, `a whole number from 1 to ${max}`);
  return undefined;
}

/** Records an issue when `a * b` would leave the range where doubles count exactly. */
export function safeProduct(issues: IssueList, option: string, a: number, b: number, what: string): boolean {
  if (a * b <= Number.MAX_SAFE_INTEGER) return true;
  issues.add('FG_RANGE_UNSAFE', option, a, `a smaller value: ${what} must stay below 2^53 to be counted exactly`);
  return false;
}
