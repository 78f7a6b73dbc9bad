import { type IssueList, isOptionsObject } from '../errors.js';

/** What `recordMetrics` (`flowgate/otel`) and `registerMetrics` (`flowgate/prometheus`) return. */
export interface MetricsSubscription {
  /**
   * Stops recording: unsubscribes from the channels; `registerMetrics` also
   * removes its metrics from the registry. Calling it again does nothing.
   */
  stop(): void;
}

/** Options shared by `flowgate/otel` and `flowgate/prometheus`. */
export interface MetricsOptions {
  /**
   * An admission is "near the limit" when it leaves fewer than this share of
   * the limit's units (`remaining < nearLimitShare × limit`, per limit): with
   * a limit of 8 and the default, the admissions that leave 1 or 0. A number
   * greater than 0, at most 1.
   * @default 0.2
   */
  nearLimitShare?: number;
  /**
   * Only the limiters of these `name`s. Every limiter in the process
   * publishes on the same channels: this puts limiters on different meters or
   * registries. @default every limiter
   */
  limiters?: readonly string[];
  /**
   * Upper bounds, in seconds, of the store-duration histogram's buckets: finite,
   * positive, increasing.
   * @default [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]
   */
  durationBuckets?: readonly number[];
}

/** 100 µs to 1 s: a Redis round trip on a LAN lands in the first buckets, the default `timeoutMs` in the last. */
export const DEFAULT_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
]);

export interface ResolvedMetricsOptions {
  readonly nearLimitShare: number;
  readonly limiters: ReadonlySet<string> | undefined;
  readonly durationBuckets: readonly number[];
}

const KNOWN = ['nearLimitShare', 'limiters', 'durationBuckets'] as const satisfies readonly (keyof MetricsOptions)[];

/** Validates the options of an exporter (`scope` names it in messages), listing every mistake at once. */
export function resolveMetricsOptions(
  issues: IssueList,
  scope: string,
  options: unknown,
): ResolvedMetricsOptions | undefined {
  if (options === undefined) return defaults();
  if (!isOptionsObject(issues, scope, options)) return undefined;
  issues.unknownKeys(scope, options, KNOWN);
  // Read each option once: a getter cannot hand validation one value and the exporter another.
  const { nearLimitShare, limiters, durationBuckets } = options as MetricsOptions;
  const before = issues.issues.length;
  if (
    nearLimitShare !== undefined &&
    !(typeof nearLimitShare === 'number' && nearLimitShare > 0 && nearLimitShare <= 1)
  ) {
    issues.add('FG_NEAR_LIMIT_SHARE_INVALID', `${scope}.nearLimitShare`, nearLimitShare, 'a number above 0, at most 1');
  }
  if (
    limiters !== undefined &&
    !(Array.isArray(limiters) && limiters.every((name) => typeof name === 'string' && name.length > 0))
  ) {
    issues.add('FG_METRICS_LIMITERS_INVALID', `${scope}.limiters`, limiters, 'an array of limiter names');
  }
  if (
    durationBuckets !== undefined &&
    !(
      Array.isArray(durationBuckets) &&
      durationBuckets.length > 0 &&
      durationBuckets.every(
        (bound, i) =>
          typeof bound === 'number' &&
          Number.isFinite(bound) &&
          bound > 0 &&
          (i === 0 || bound > (durationBuckets[i - 1] as number)),
      )
    )
  ) {
    issues.add(
      'FG_DURATION_BUCKETS_INVALID',
      `${scope}.durationBuckets`,
      durationBuckets,
      'a non-empty array of finite, positive, increasing numbers of seconds',
    );
  }
  if (issues.issues.length > before) return undefined;
  return {
    nearLimitShare: nearLimitShare ?? 0.2,
    limiters: limiters === undefined ? undefined : new Set(limiters),
    durationBuckets: durationBuckets === undefined ? DEFAULT_DURATION_BUCKETS : Object.freeze([...durationBuckets]),
  };
}

function defaults(): ResolvedMetricsOptions {
  return { nearLimitShare: 0.2, limiters: undefined, durationBuckets: DEFAULT_DURATION_BUCKETS };
}
