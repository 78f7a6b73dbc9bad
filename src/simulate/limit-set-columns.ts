import type { Column } from './columns.js';
import { formatCount, formatPercent } from './format.js';
import type { LimitSetComparison, LimitSetResult, LimitsName } from './limit-sets.js';

/** How a report names each configuration. */
export const LIMITS_LABELS: Record<LimitsName, string> = {
  'per-source': 'per-source alone',
  global: 'global alone',
  set: 'set of both',
};

const share = (admitted: number, denied: number): string =>
  `${formatCount(admitted)} / ${formatCount(admitted + denied)}`;

/**
 * The columns of the limit-set comparison, declared once for the terminal
 * table, the HTML report and `--help`, like {@link COLUMNS}.
 */
export const LIMIT_SET_COLUMNS: readonly Column<LimitSetResult>[] = [
  {
    title: () => 'limits',
    field: 'limits',
    help: () =>
      'per-source alone: the limit on each source; global alone: the global limit on all traffic together; ' +
      'set of both: the two as one limit set, all or nothing (a request either denies spends nothing in the other).',
    left: true,
    cell: (r) => LIMITS_LABELS[r.limits],
  },
  {
    title: () => 'botnet admitted',
    field: 'attack',
    help: () => "the botnet's requests admitted / sent.",
    cell: (r) => share(r.attack.admitted, r.attack.denied),
  },
  {
    title: () => 'legitimate admitted',
    field: 'legitimate',
    help: () => "the legitimate clients' requests admitted / sent.",
    cell: (r) => share(r.legitimate.admitted, r.legitimate.denied),
  },
  {
    title: () => 'legitimate served',
    field: 'legitimateServedPercent',
    help: () => 'the share of legitimate demand served: legitimate admitted / sent.',
    cell: (r) => formatPercent(r.legitimateServedPercent),
  },
  {
    title: (window) => `all keys, max in ${window}`,
    field: 'maxAdmittedInWindowAllKeys',
    help: (window) =>
      `the most units admitted over every key together in any rolling ${window}: what the service behind received.`,
    cell: (r) => formatCount(r.maxAdmittedInWindowAllKeys),
  },
  {
    title: (window) => `one key, max in ${window}`,
    field: 'maxAdmittedInWindow',
    help: (window) => `the most units admitted for one key in any rolling ${window}.`,
    cell: (r) => formatCount(r.maxAdmittedInWindow),
  },
];

/** What the comparison ran, one sentence with the numbers: "the same traffic under ...". */
export function limitSetsScope(comparison: LimitSetComparison, limit: string, globalLimit: string): string {
  const { attack, legitimate } = comparison.groups;
  return (
    `the same traffic under a per-source limit of ${limit}, a global limit of ${globalLimit}, ` +
    `and the set of both; botnet = ${attack}:*, legitimate = ${legitimate}:*.`
  );
}

/** The title of the comparison: which algorithm every limit uses. */
export function limitSetsTitle(comparison: LimitSetComparison): string {
  return `Limit sets (${comparison.algorithm}, exact)`;
}

/**
 * What the rows say, from the numbers: whether the set admits exactly what the
 * global limit alone does (a botnet whose every source stays under its limit
 * is invisible to a per-source limit) and what share of legitimate demand it serves.
 */
export function limitSetsFinding(comparison: LimitSetComparison): string {
  const by = Object.fromEntries(comparison.results.map((r) => [r.limits, r])) as Record<LimitsName, LimitSetResult>;
  const { set, global } = by;
  const perSource = by['per-source'];
  const parts = [
    `The per-source limit alone admits ${share(perSource.attack.admitted, perSource.attack.denied)} of the botnet ` +
      `(up to ${formatCount(perSource.maxAdmittedInWindowAllKeys)} in one window on the service).`,
  ];
  const same = set.attack.admitted === global.attack.admitted && set.legitimate.admitted === global.legitimate.admitted;
  parts.push(
    same
      ? 'The set admits exactly what the global limit alone does: no source exceeds its per-source limit, so only ' +
          'the global limit binds, and it cannot tell the legitimate clients from the botnet.'
      : `The set admits ${formatCount(set.attack.admitted)} from the botnet and ${formatCount(set.legitimate.admitted)} ` +
          `from the legitimate clients, against ${formatCount(global.attack.admitted)} and ` +
          `${formatCount(global.legitimate.admitted)} with the global limit alone: the per-source limit also binds.`,
  );
  parts.push(
    `The set serves ${formatPercent(set.legitimateServedPercent)} of legitimate demand, ` +
      `with the service held to ${formatCount(set.maxAdmittedInWindowAllKeys)} in any window.`,
  );
  return parts.join(' ');
}
