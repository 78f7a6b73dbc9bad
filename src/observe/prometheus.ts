/**
 * `flowgate/prometheus`: every limiter's decisions and store calls as
 * Prometheus metrics, on the `prom-client` Registry the application passes
 * (never on prom-client's global default). Only types are imported from
 * prom-client: the collectors are plain objects of the shape a Registry
 * collects (`name`, `help`, `type`, `get()`), reading flowgate's own counts.
 */
import type { Metric, Registry, RegistryContentType } from 'prom-client';
import { IssueList } from '../errors.js';
import { type MetricsOptions, type MetricsSubscription, resolveMetricsOptions } from './metrics-options.js';
import { ERROR_KINDS, OUTCOMES, Tally } from './tally.js';

export type { MetricsOptions, MetricsSubscription } from './metrics-options.js';

/** The metrics' names, as registered. */
export const METRIC_NAMES = {
  decisions: 'flowgate_decisions_total',
  nearLimit: 'flowgate_near_limit_admissions_total',
  storeDuration: 'flowgate_store_duration_seconds',
  storeErrors: 'flowgate_store_errors_total',
} as const;

interface Sample {
  readonly metricName?: string;
  readonly labels: Record<string, string | number>;
  readonly value: number;
}

/** A collector as prom-client's Registry reads it: it calls `get()` at every scrape and `reset()` on `resetMetrics()`. */
interface Collector {
  /** prom-client renames counters (`_total` dropped) while it writes OpenMetrics. */
  name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  /** How prom-client's AggregatorRegistry combines the workers of a Node cluster. */
  readonly aggregator: 'sum';
  get(): Promise<{ name: string; help: string; type: string; aggregator: 'sum'; values: Sample[] }>;
  reset(): void;
}

function collector(
  name: string,
  help: string,
  type: Collector['type'],
  values: () => Sample[],
  reset: () => void,
): Collector {
  return {
    name,
    help,
    type,
    aggregator: 'sum',
    async get() {
      return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: values() };
    },
    reset,
  };
}

/**
 * Registers flowgate's metrics on `registry` and records what every limiter
 * in the process decides:
 *
 * - `flowgate_decisions_total{limiter, limit, outcome}`: `limit` calls, one per
 *   limit of a set, by outcome (`allowed`, `denied`, `shadow_denied`,
 *   `degraded_allowed`, `degraded_denied`);
 * - `flowgate_near_limit_admissions_total{limiter, limit}`: admissions that
 *   left less than `nearLimitShare` of a limit;
 * - `flowgate_store_duration_seconds{limiter}` (histogram): how long each store
 *   call took to answer (stores that answer asynchronously, such as Redis);
 * - `flowgate_store_errors_total{limiter, kind}`: store errors and timeouts by
 *   kind (`timeout`, `late`, `overloaded`, `request`, `error`).
 *
 * Keys are never labels. Registering on a registry that already has one of
 * these names (a second `registerMetrics` on it) throws `FG_METRICS_ALREADY_REGISTERED`:
 * two registrations would count every decision twice. `stop()` the first, or
 * use `limiters` to put different limiters on different registries.
 *
 * @example
 * import { Registry } from 'prom-client';
 * import { registerMetrics } from 'flowgate/prometheus';
 * const registry = new Registry();
 * registerMetrics(registry);
 * // GET /metrics: res.end(await registry.metrics());
 */
export function registerMetrics(
  registry: Registry<RegistryContentType>,
  options?: MetricsOptions,
): MetricsSubscription {
  const issues = new IssueList();
  const valid = isRegistry(registry);
  if (!valid) {
    issues.add(
      'FG_REGISTRY_INVALID',
      'registerMetrics(registry)',
      registry,
      "a prom-client Registry (new Registry() from 'prom-client'); flowgate never registers on the global default by itself",
    );
  }
  const resolved = resolveMetricsOptions(issues, 'registerMetrics(options)', options);
  if (valid) {
    const taken = Object.values(METRIC_NAMES).filter((name) => registry.getSingleMetric(name) !== undefined);
    if (taken.length > 0) {
      issues.add(
        'FG_METRICS_ALREADY_REGISTERED',
        'registerMetrics(registry)',
        registry,
        `a registry without ${taken.join(', ')}: flowgate's metrics are registered on it already; ` +
          "call stop() on that registration first, or pass another registry (or split limiters between them with 'limiters')",
      );
    }
  }
  issues.throwIfAny();
  if (resolved === undefined) throw new Error('unreachable: options with issues were thrown');

  const tally = new Tally(resolved);
  const bounds = resolved.durationBuckets;
  const collectors: Collector[] = [
    collector(
      METRIC_NAMES.decisions,
      'Rate-limit decisions, one per limit of each limit() call, by limiter, limit and outcome.',
      'counter',
      () => {
        const values: Sample[] = [];
        for (const limiter of tally.limiters.values()) {
          for (const limit of limiter.limits.values()) {
            for (let i = 0; i < OUTCOMES.length; i++) {
              values.push({
                labels: { limiter: limiter.name, limit: limit.name, outcome: OUTCOMES[i] as string },
                value: limit.outcomes[i] as number,
              });
            }
          }
        }
        return values;
      },
      () => {
        for (const limiter of tally.limiters.values())
          for (const limit of limiter.limits.values()) limit.outcomes.fill(0);
      },
    ),
    collector(
      METRIC_NAMES.nearLimit,
      `Admissions that left less than ${resolved.nearLimitShare} of a limit's units, by limiter and limit.`,
      'counter',
      () => {
        const values: Sample[] = [];
        for (const limiter of tally.limiters.values()) {
          for (const limit of limiter.limits.values()) {
            values.push({ labels: { limiter: limiter.name, limit: limit.name }, value: limit.nearLimit });
          }
        }
        return values;
      },
      () => {
        for (const limiter of tally.limiters.values()) for (const limit of limiter.limits.values()) limit.nearLimit = 0;
      },
    ),
    collector(
      METRIC_NAMES.storeDuration,
      "How long each call to a limiter's store took to answer, in seconds, by limiter.",
      'histogram',
      () => {
        const values: Sample[] = [];
        for (const limiter of tally.limiters.values()) {
          let cumulative = 0;
          for (let i = 0; i <= bounds.length; i++) {
            cumulative += limiter.durationCounts[i] as number;
            values.push({
              metricName: `${METRIC_NAMES.storeDuration}_bucket`,
              labels: { limiter: limiter.name, le: i < bounds.length ? (bounds[i] as number) : '+Inf' },
              value: cumulative,
            });
          }
          values.push({
            metricName: `${METRIC_NAMES.storeDuration}_sum`,
            labels: { limiter: limiter.name },
            value: limiter.durationSum,
          });
          values.push({
            metricName: `${METRIC_NAMES.storeDuration}_count`,
            labels: { limiter: limiter.name },
            value: limiter.durationCount,
          });
        }
        return values;
      },
      () => {
        for (const limiter of tally.limiters.values()) {
          limiter.durationCounts.fill(0);
          limiter.durationSum = 0;
          limiter.durationCount = 0;
        }
      },
    ),
    collector(
      METRIC_NAMES.storeErrors,
      'Store errors and timeouts, each answered by onStoreError, by limiter and kind.',
      'counter',
      () => {
        const values: Sample[] = [];
        for (const limiter of tally.limiters.values()) {
          for (let i = 0; i < ERROR_KINDS.length; i++) {
            values.push({
              labels: { limiter: limiter.name, kind: ERROR_KINDS[i] as string },
              value: limiter.errors[i] as number,
            });
          }
        }
        return values;
      },
      () => {
        for (const limiter of tally.limiters.values()) limiter.errors.fill(0);
      },
    ),
  ];
  // prom-client's Metric type is its own classes; a Registry reads any object of this shape.
  for (const c of collectors) registry.registerMetric(c as unknown as Metric);
  tally.start();
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      tally.stop();
      for (const [i, name] of Object.values(METRIC_NAMES).entries()) {
        // Only ours: after a stop, the name may have been registered again by someone else.
        if (registry.getSingleMetric(name) === (collectors[i] as unknown as Metric)) registry.removeSingleMetric(name);
      }
    },
  };
}

function isRegistry(value: unknown): value is Registry<RegistryContentType> {
  const registry = value as Partial<Registry<RegistryContentType>> | null;
  return (
    typeof registry?.registerMetric === 'function' &&
    typeof registry.getSingleMetric === 'function' &&
    typeof registry.removeSingleMetric === 'function' &&
    typeof registry.metrics === 'function'
  );
}
