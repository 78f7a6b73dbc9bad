import { IssueList, isOptionsObject } from '../errors.js';
import { type Duration, parseDuration } from './duration.js';
import { MAX_LIMIT, positiveInteger, safeProduct } from './validate.js';

/** Options shared by the three window policies. */
export interface WindowOptions {
  /** Units admitted per window. */
  limit: number;
  /** Window length: ms, or `'10s'`, `'1m'`, … */
  window: Duration;
}

const KNOWN = ['limit', 'window'] as const satisfies readonly (keyof WindowOptions)[];

/**
 * Validates `{ limit, window }` for the policy named `scope`, throwing every
 * mistake at once. `scaledLimit` asks that `limit × window × factor` stay
 * countable exactly (the sliding window counter computes in those units).
 */
export function windowOptions(
  scope: string,
  options: WindowOptions,
  maxLimit = MAX_LIMIT,
  scaledLimit?: { factor: number; what: string },
): { limit: number; windowMs: number } {
  const issues = new IssueList();
  let limit: number | undefined;
  let windowMs: number | undefined;
  if (isOptionsObject(issues, scope, options)) {
    issues.unknownKeys(scope, options, KNOWN);
    // Each option is read once: a getter cannot pass validation with one value and be used with another.
    const { limit: limitOption, window } = options;
    limit = positiveInteger(issues, 'FG_LIMIT_INVALID', `${scope}.limit`, limitOption, maxLimit);
    windowMs = parseDuration(issues, `${scope}.window`, window);
    if (scaledLimit && limit !== undefined && windowMs !== undefined) {
      safeProduct(issues, `${scope}.limit`, scaledLimit.factor * limit, windowMs, scaledLimit.what);
    }
  }
  issues.throwIfAny();
  return { limit: limit as number, windowMs: windowMs as number };
}
