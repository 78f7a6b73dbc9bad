import { formatBytes, formatCount, formatPercent } from './format.js';
import type { OfferedRateError } from './offered-rate.js';
import type { AlgorithmResult } from './simulate.js';

/**
 * One column of the results, declared once for every output: the terminal
 * table, the HTML table and its legend, and `flowgate simulate --help`.
 */
export interface Column<Row = AlgorithmResult> {
  /** Header text; `window` is the limit's window as the user types it, e.g. `60s`. */
  title(window: string): string;
  /** The field of `--format json` the column shows. */
  readonly field: string;
  /** What the number means, one or two sentences. */
  help(window: string): string;
  readonly left?: boolean;
  cell(row: Row): string;
  /** Only shown when it tells something (default: always). */
  shown?(rows: readonly Row[]): boolean;
}

/** The columns of a report, in order. */
export const COLUMNS: readonly Column[] = [
  {
    title: () => 'algorithm',
    field: 'algorithm',
    help: () => 'the policy under test; each stands for "limit per window".',
    left: true,
    cell: (r) => r.algorithm,
  },
  {
    title: () => 'admitted',
    field: 'admitted',
    help: () => 'requests admitted.',
    cell: (r) => formatCount(r.admitted),
  },
  {
    title: () => 'denied',
    field: 'denied',
    help: () => 'requests denied.',
    cell: (r) => formatCount(r.denied),
  },
  {
    title: (window) => `max in ${window}`,
    field: 'maxAdmittedInWindow',
    help: (window) => `the most units admitted for one key in any rolling ${window}: the true burst.`,
    cell: (r) => formatCount(r.maxAdmittedInWindow),
  },
  {
    title: () => 'all keys',
    field: 'maxAdmittedInWindowAllKeys',
    help: (window) => `the most units admitted over every key together in any rolling ${window}.`,
    cell: (r) => formatCount(r.maxAdmittedInWindowAllKeys),
    shown: (results) => results.some((r) => r.maxAdmittedInWindowAllKeys !== r.maxAdmittedInWindow),
  },
  {
    title: () => 'over',
    field: 'overAdmitted',
    help: () =>
      'requests this algorithm admitted that the exact sliding log (with the same global limit, if any), run on ' +
      'the same trace, denied.',
    cell: (r) => formatCount(r.overAdmitted),
  },
  {
    title: () => 'under',
    field: 'underAdmitted',
    help: () => 'requests this algorithm denied that the exact sliding log admitted.',
    cell: (r) => formatCount(r.underAdmitted),
  },
  {
    title: () => 'wrong vs log',
    field: 'wrongPercent',
    help: () =>
      '(over + under) / requests: how often the decision differs from the exact log deciding the same requests. ' +
      'Once their admissions differ the two histories differ too, so later differences are partly inherited.',
    cell: (r) => formatPercent(r.wrongPercent),
  },
  {
    title: () => 'wrong vs own history',
    field: 'sameHistory',
    help: (window) =>
      `decisions that differ from the exact rule ("this key's admitted units in the last ${window}, plus this ` +
      `request's, fit the limit", and all keys' the global limit if any) applied to the algorithm's OWN ` +
      'admitted history: the error of each decision on its own.',
    cell: (r) => formatPercent(r.sameHistory.percent),
  },
  {
    title: () => 'state/key',
    field: 'stateBytesPerKey',
    help: () =>
      '8 bytes per number of state (fixed window 2, sliding window 3, buckets 1); sliding log: 8 bytes x the ' +
      'most timestamps one key held. Key strings and store bookkeeping are not counted.',
    cell: (r) => formatBytes(r.stateBytesPerKey),
  },
  {
    title: () => 'delay p50/p99/max',
    field: 'delays',
    help: () => 'leaky bucket: how long admitted requests are held before they are served (nearest rank, ms).',
    cell: (r) => (r.delays ? `${r.delays.p50}/${r.delays.p99}/${r.delays.max} ms` : '-'),
  },
];

/** The columns worth showing for `results`. */
export function columnsFor(results: readonly AlgorithmResult[]): Column[] {
  return COLUMNS.filter((column) => column.shown?.(results) ?? true);
}

/**
 * The sliding window counter's error by Cloudflare's method, one line: its
 * estimate against the exact count with every offered request counted, so no
 * decision feeds back into the state. Per key, and for the global limit when
 * there is one. Undefined when the sliding window counter did not run.
 */
export function offeredRateSummary(results: readonly AlgorithmResult[]): string | undefined {
  const sliding = results.find((r) => r.offeredRateError);
  if (!sliding?.offeredRateError) return undefined;
  const part = (e: OfferedRateError): string =>
    `${formatCount(e.wrong)} of ${formatCount(e.requests)} requests wrongly decided (${formatPercent(e.percent)}), ` +
    `${formatCount(e.falsePositives)} of them wrongly limited`;
  const global = sliding.offeredRateErrorGlobal;
  return (
    `${OFFERED_RATE_TITLE}: per key ${part(sliding.offeredRateError)}` +
    `${global ? `; global limit ${part(global)}` : ''}. ${OFFERED_RATE_HELP}`
  );
}

/** What {@link offeredRateSummary} reports, as `--help` and the reports name it. */
export const OFFERED_RATE_TITLE = "sliding-window by Cloudflare's method (offeredRateError)";

/** How Cloudflare's method differs from the columns. */
export const OFFERED_RATE_HELP =
  'Its estimate is compared with the exact count of every offered request, admitted or not, as Cloudflare ' +
  'measured it (0.003% of 400M requests); the columns judge the counter as it runs, counting admitted requests only.';
