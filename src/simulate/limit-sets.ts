import type { Algorithm } from '../index.js';
import { type GroupCounts, measure } from './metrics.js';
import { type LimitsPlan, limitsGate, type RunRecord, type RunSettings, runTraffic } from './runner.js';
import type { Traffic, TrafficGroups } from './types.js';

/** Which limits decided a run: the per-source limit alone, the global limit alone, or both as one limit set. */
export type LimitsName = 'per-source' | 'global' | 'set';

/** The configurations compared, in report order. */
export const LIMITS_NAMES: readonly LimitsName[] = ['per-source', 'global', 'set'];

/** What one configuration admitted from each group. Counts are requests. */
export interface LimitSetResult {
  readonly limits: LimitsName;
  /** The attack's requests (the botnet's). */
  readonly attack: GroupCounts;
  /** The legitimate clients' requests. */
  readonly legitimate: GroupCounts;
  /** legitimate.admitted / legitimate requests × 100: the share of legitimate demand served. */
  readonly legitimateServedPercent: number;
  /** Most units admitted over every key together in any rolling window: what the service behind received. */
  readonly maxAdmittedInWindowAllKeys: number;
  /** Most units admitted for one key in any rolling window. */
  readonly maxAdmittedInWindow: number;
}

/** The `limitSets` part of the report: one row per configuration, all on the same traffic. */
export interface LimitSetComparison {
  /** The algorithm of every limit: the exact sliding log, so the rows differ by their limits alone. */
  readonly algorithm: Algorithm;
  /** The key groups (text before the first `:`) counted as the attack and as legitimate. */
  readonly groups: TrafficGroups;
  readonly results: readonly LimitSetResult[];
}

/** The algorithm of the comparison: exact, so no row carries an approximation's error. */
const COMPARISON_ALGORITHM: Algorithm = 'sliding-log';

/**
 * Runs the same traffic under a per-source limit alone, a global limit alone
 * and the limit set of both (all or nothing), each on its own fresh store, and
 * counts what each admits from the attack and from the legitimate clients.
 * `setRun`, when given, is a run of the set already made (the table's sliding
 * log on open-loop traffic), reused instead of run again.
 *
 * @example
 * const comparison = await compareLimitSets(() => traffic, { limit: 100, windowMs: 60_000 }, 10_000, groups);
 * comparison.results[2]; // { limits: 'set', attack: { admitted: 29_412, ... }, ... }
 */
export async function compareLimitSets(
  build: () => Traffic,
  settings: RunSettings,
  globalLimit: number,
  groups: TrafficGroups,
  setRun?: RunRecord,
): Promise<LimitSetComparison> {
  const { limit, windowMs } = settings;
  const plans: Record<LimitsName, LimitsPlan> = {
    'per-source': { perSource: limit },
    global: { global: globalLimit },
    set: { perSource: limit, global: globalLimit },
  };
  const results: LimitSetResult[] = [];
  for (const name of LIMITS_NAMES) {
    const run =
      name === 'set' && setRun
        ? setRun
        : await runTraffic(build(), {
            algorithm: COMPARISON_ALGORITHM,
            gate: limitsGate(COMPARISON_ALGORITHM, windowMs, plans[name]),
          });
    results.push(resultOf(name, run, settings, groups));
  }
  return { algorithm: COMPARISON_ALGORITHM, groups, results };
}

function resultOf(limits: LimitsName, run: RunRecord, settings: RunSettings, groups: TrafficGroups): LimitSetResult {
  const metrics = measure(run, settings.limit, settings.windowMs);
  const none: GroupCounts = { admitted: 0, denied: 0 };
  const attack = metrics.groups[groups.attack] ?? none;
  const legitimate = metrics.groups[groups.legitimate] ?? none;
  const offered = legitimate.admitted + legitimate.denied;
  return {
    limits,
    attack,
    legitimate,
    legitimateServedPercent: offered === 0 ? 0 : (legitimate.admitted / offered) * 100,
    maxAdmittedInWindowAllKeys: metrics.maxAdmittedInWindowAllKeys,
    maxAdmittedInWindow: metrics.maxAdmittedInWindow,
  };
}
