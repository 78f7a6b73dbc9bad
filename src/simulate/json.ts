import type { SimulationReport } from './simulate.js';

/**
 * The report as JSON (`--format json`):
 * `{ scenario, summary, params, results: [{ algorithm, admitted, denied, maxAdmittedInWindow, overAdmitted, underAdmitted, stateBytesPerKey, delays?, ... }] }`.
 * Each column of the table is one field (see `COLUMNS`); the sliding window counter adds
 * `offeredRateError` (Cloudflare's method, per key) and, with a global limit, `offeredRateErrorGlobal`.
 * The botnet adds `limitSets: { algorithm, groups, results: [{ limits, attack, legitimate,
 * legitimateServedPercent, maxAdmittedInWindowAllKeys, maxAdmittedInWindow }] }` (see `LIMIT_SET_COLUMNS`).
 *
 * @example
 * JSON.parse(renderJson(report)).results[0].admitted;
 */
export function renderJson(report: SimulationReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
