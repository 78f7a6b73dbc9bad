/**
 * `flowgate/otel`: every limiter's decisions and store calls as OpenTelemetry
 * metrics, through `@opentelemetry/api` (the application brings the SDK and
 * its exporter). Only types are imported from the API: the meter the
 * application passes does the work.
 */
import type {
  Attributes,
  BatchObservableResult,
  Histogram,
  Meter,
  MeterProvider,
  Observable,
  ValueType,
} from '@opentelemetry/api';
import { IssueList } from '../errors.js';
import { type MetricsOptions, type MetricsSubscription, resolveMetricsOptions } from './metrics-options.js';
import { ERROR_KINDS, OUTCOMES, Tally } from './tally.js';

export type { MetricsOptions, MetricsSubscription } from './metrics-options.js';

/** `ValueType.INT` of `@opentelemetry/api`, without importing its value: counts are whole numbers. */
const INT = 0 as ValueType.INT;

/** The instrumentation scope of the meter taken from a `MeterProvider`. */
export const METER_NAME = 'flowgate';

/**
 * Records what every limiter in the process decides as OpenTelemetry metrics
 * on `meter` (or on the meter named `flowgate` of a `MeterProvider`):
 *
 * - `flowgate.decisions` (`{decision}`): `limit` calls by `flowgate.limiter`,
 *   `flowgate.limit` and `flowgate.outcome` (`allowed`, `denied`,
 *   `shadow_denied`, `degraded_allowed`, `degraded_denied`), one per limit of a set;
 * - `flowgate.near_limit.admissions` (`{admission}`): admissions that left
 *   less than `nearLimitShare` of a limit, by limiter and limit;
 * - `flowgate.store.duration` (`s`, histogram): how long each store call took
 *   to answer (stores that answer asynchronously, such as Redis), by limiter;
 * - `flowgate.store.errors` (`{error}`): store errors and timeouts, by limiter
 *   and `error.type` (`timeout`, `late`, `overloaded`, `request`, `error`).
 *
 * Keys are never attributes. The counters are observable: counted in plain
 * numbers as decisions happen, reported when the SDK collects.
 *
 * @example
 * import { MeterProvider } from '@opentelemetry/sdk-metrics';
 * import { recordMetrics } from 'flowgate/otel';
 * const provider = new MeterProvider({ readers: [reader] });
 * const metrics = recordMetrics(provider);
 * // … on shutdown:
 * metrics.stop();
 */
export function recordMetrics(meter: Meter | MeterProvider, options?: MetricsOptions): MetricsSubscription {
  const issues = new IssueList();
  const valid = isMeter(meter) || isMeterProvider(meter);
  if (!valid) {
    issues.add(
      'FG_METER_INVALID',
      'recordMetrics(meter)',
      meter,
      "an OpenTelemetry Meter (metrics.getMeter('app')) or MeterProvider from @opentelemetry/api",
    );
  }
  const resolved = resolveMetricsOptions(issues, 'recordMetrics(options)', options);
  issues.throwIfAny();
  if (resolved === undefined) throw new Error('unreachable: options with issues were thrown');
  const m = isMeter(meter) ? meter : (meter as MeterProvider).getMeter(METER_NAME);

  const decisions = m.createObservableCounter('flowgate.decisions', {
    description: 'Rate-limit decisions, one per limit of each limit() call, by limiter, limit and outcome.',
    unit: '{decision}',
    valueType: INT,
  });
  const nearLimit = m.createObservableCounter('flowgate.near_limit.admissions', {
    description: `Admissions that left less than ${resolved.nearLimitShare} of a limit's units, by limiter and limit.`,
    unit: '{admission}',
    valueType: INT,
  });
  const errors = m.createObservableCounter('flowgate.store.errors', {
    description: 'Store errors and timeouts, each answered by onStoreError, by limiter and error.type.',
    unit: '{error}',
    valueType: INT,
  });
  const duration: Histogram = m.createHistogram('flowgate.store.duration', {
    description: "How long each call to a limiter's store took to answer, by limiter.",
    unit: 's',
    advice: { explicitBucketBoundaries: [...resolved.durationBuckets] },
  });

  const tally = new Tally(resolved, (limiter) => {
    // One attribute set per limiter, made once: the SDK is handed the same object every time.
    const attributes: Attributes = { 'flowgate.limiter': limiter };
    return (seconds) => duration.record(seconds, attributes);
  });

  const observables: Observable[] = [decisions, nearLimit, errors];
  const observe = (result: BatchObservableResult): void => {
    for (const limiter of tally.limiters.values()) {
      for (const limit of limiter.limits.values()) {
        for (let i = 0; i < OUTCOMES.length; i++) {
          result.observe(decisions, limit.outcomes[i] as number, {
            'flowgate.limiter': limiter.name,
            'flowgate.limit': limit.name,
            'flowgate.outcome': OUTCOMES[i] as string,
          });
        }
        result.observe(nearLimit, limit.nearLimit, { 'flowgate.limiter': limiter.name, 'flowgate.limit': limit.name });
      }
      for (let i = 0; i < ERROR_KINDS.length; i++) {
        result.observe(errors, limiter.errors[i] as number, {
          'flowgate.limiter': limiter.name,
          'error.type': ERROR_KINDS[i] as string,
        });
      }
    }
  };
  m.addBatchObservableCallback(observe, observables);
  tally.start();
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      tally.stop();
      m.removeBatchObservableCallback(observe, observables);
    },
  };
}

function isMeter(value: unknown): value is Meter {
  const meter = value as Partial<Meter> | null;
  return (
    typeof meter?.createObservableCounter === 'function' &&
    typeof meter.createHistogram === 'function' &&
    typeof meter.addBatchObservableCallback === 'function'
  );
}

function isMeterProvider(value: unknown): value is MeterProvider {
  return typeof (value as Partial<MeterProvider> | null)?.getMeter === 'function';
}
