import type { IssueList } from '../errors.js';

/** A duration: milliseconds as a number, or a string such as `'500ms'`, `'10s'`, `'1m'`, `'1h'`, `'1d'`. */
export type Duration = number | `${number}${DurationUnit}` | `${number} ${DurationUnit}`;
export type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd';

const UNIT_MS: Record<DurationUnit, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;

/** Largest duration accepted: keeps every product of a window and a limit within 2^53. */
export const MAX_DURATION_MS = 2 ** 36;

/**
 * Parses a duration into whole milliseconds, or records why it cannot.
 * @returns the milliseconds, or `undefined` after recording an issue.
 */
export function parseDuration(issues: IssueList, option: string, value: unknown): number | undefined {
  let ms: number | undefined;
  if (typeof value === 'number') ms = value;
  else if (typeof value === 'string') {
    const match = PATTERN.exec(value.trim());
    if (!match) {
      issues.add(
        'FG_DURATION_UNPARSABLE',
        option,
        value,
        `milliseconds as a number, or a string like '500ms', '10s', '1m', '1h', '1d'`,
      );
      return undefined;
    }
    ms = Number(match[1]) * UNIT_MS[match[2] as DurationUnit];
  }
  if (ms === undefined || !Number.isInteger(ms) || ms <= 0 || ms > MAX_DURATION_MS) {
    issues.add(
      'FG_WINDOW_INVALID',
      option,
      value,
      `a whole number of milliseconds from 1 to ${MAX_DURATION_MS} (about 795 days), or a string like '10s' or '1m'`,
    );
    return undefined;
  }
  return ms;
}
