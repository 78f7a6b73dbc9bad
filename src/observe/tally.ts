import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Decision } from '../policies/decision.js';
import type { SetDecision } from '../policies/limit-set.js';
import { CHANNELS, type DecisionEvent, type Outcome, type StoreErrorEvent, type StoreErrorKind } from './events.js';
import type { ResolvedMetricsOptions } from './metrics-options.js';

/** Every outcome, in the order of {@link LimitTally.outcomes}. */
export const OUTCOMES: readonly Outcome[] = [
  'allowed',
  'denied',
  'shadow_denied',
  'degraded_allowed',
  'degraded_denied',
];
/** Every store error kind, in the order of {@link LimiterTally.errors}. */
export const ERROR_KINDS: readonly StoreErrorKind[] = ['timeout', 'late', 'overloaded', 'request', 'error'];

/** The counts of one limit of one limiter. */
export class LimitTally {
  /** Decisions per outcome, indexed as {@link OUTCOMES}. */
  readonly outcomes = new Float64Array(OUTCOMES.length);
  /** Admissions that left less than `nearLimitShare` of the limit. */
  nearLimit = 0;
  constructor(readonly name: string) {}
}

/** The counts of one limiter (by `name`: limiters that share a name share their counts). */
export class LimiterTally {
  readonly limits = new Map<string, LimitTally>();
  /** Store errors per kind, indexed as {@link ERROR_KINDS}. */
  readonly errors = new Float64Array(ERROR_KINDS.length);
  /** Store calls per duration bucket: one per bound, then the one above the last bound. */
  readonly durationCounts: Float64Array;
  durationSum = 0;
  durationCount = 0;

  constructor(
    readonly name: string,
    buckets: number,
  ) {
    this.durationCounts = new Float64Array(buckets + 1);
  }

  limit(name: string): LimitTally {
    let limit = this.limits.get(name);
    if (limit === undefined) {
      limit = new LimitTally(name);
      this.limits.set(name, limit);
    }
    return limit;
  }
}

/** Where one limiter's events are counted: its tally and, in the order of `DecisionEvent.limits`, its limits'. */
interface Route {
  readonly limiter: LimiterTally;
  readonly limits: readonly LimitTally[];
}

/**
 * What an exporter does with a store duration, instead of counting it in
 * {@link LimiterTally}'s buckets (OpenTelemetry has no asynchronous histogram).
 */
export type DurationSink = (limiter: LimiterTally, seconds: number) => void;

/**
 * Counts what the limiters publish, in plain numbers, for an exporter to
 * read when it is collected. A subscriber runs inside every decision:
 * counting there costs a few array increments, where a metrics library's
 * own counters would hash their labels on every call. Counts are exact and
 * only grow (until `reset`).
 */
export class Tally {
  readonly limiters = new Map<string, LimiterTally>();
  private readonly routes = new Map<string, Route | null>();
  /** The last limiter seen, by the identity of its `limits` array (one per limiter): most events need no lookup. */
  private lastLimits: readonly string[] | undefined = undefined;
  private lastName = '';
  private lastRoute: Route | null = null;
  private subscribed = false;
  private warned = false;
  private readonly nearLimitShare: number;

  constructor(
    private readonly options: ResolvedMetricsOptions,
    private readonly durationSink?: DurationSink,
  ) {
    this.nearLimitShare = options.nearLimitShare;
  }

  start(): void {
    if (this.subscribed) return;
    this.subscribed = true;
    subscribe(CHANNELS.decision, this.onDecision);
    subscribe(CHANNELS.storeError, this.onStoreError);
  }

  stop(): void {
    if (!this.subscribed) return;
    this.subscribed = false;
    unsubscribe(CHANNELS.decision, this.onDecision);
    unsubscribe(CHANNELS.storeError, this.onStoreError);
  }

  // Arrow properties: one function each, so `unsubscribe` finds what `subscribe` got.
  // A throw would reach the process as an uncaught exception (diagnostics_channel's rule): never let one out.
  private readonly onDecision = (message: unknown): void => {
    try {
      this.decision(message as DecisionEvent);
    } catch (error) {
      this.warnOnce(error);
    }
  };

  private readonly onStoreError = (message: unknown): void => {
    try {
      const event = message as StoreErrorEvent;
      const limiter = this.limiterOf(event.limiter);
      const kind = ERROR_KINDS.indexOf(event.kind);
      if (kind < 0) throw new TypeError(`unknown store error kind ${String(event.kind)}`);
      if (limiter !== undefined) limiter.errors[kind] = (limiter.errors[kind] as number) + 1;
    } catch (error) {
      this.warnOnce(error);
    }
  };

  private decision(event: DecisionEvent): void {
    let route = this.lastRoute;
    if (event.limits !== this.lastLimits || event.limiter !== this.lastName) {
      route = this.routeOf(event.limiter, event.limits);
      this.lastLimits = event.limits;
      this.lastName = event.limiter;
      this.lastRoute = route;
    }
    if (route === null) return;
    const { storeMs } = event;
    if (storeMs !== undefined) this.duration(route.limiter, storeMs / 1000);
    // A peek decides nothing and spends nothing: only its store call counts.
    if (event.operation !== 'limit') return;
    const { decision, outcomes } = event;
    const admitted = decision.allowed && !decision.degraded;
    const own = (decision as Partial<SetDecision>).limits;
    const { limits } = route;
    for (let i = 0; i < limits.length; i++) {
      const limit = limits[i] as LimitTally;
      const outcome = outcomes[i] as Outcome;
      const o = outcomeIndex(outcome);
      limit.outcomes[o] = (limit.outcomes[o] as number) + 1;
      // Near the limit: what an admitted request left in a limit that admitted it (a shadow one too).
      if (admitted && outcome === 'allowed') {
        const d = own === undefined ? decision : (own[limit.name] as Decision);
        if (d.remaining < this.nearLimitShare * d.limit) limit.nearLimit++;
      }
    }
  }

  private duration(limiter: LimiterTally, seconds: number): void {
    if (this.durationSink !== undefined) {
      this.durationSink(limiter, seconds);
      return;
    }
    const bounds = this.options.durationBuckets;
    let i = 0;
    while (i < bounds.length && seconds > (bounds[i] as number)) i++;
    limiter.durationCounts[i] = (limiter.durationCounts[i] as number) + 1;
    limiter.durationSum += seconds;
    limiter.durationCount++;
  }

  private routeOf(name: string, limits: readonly string[]): Route | null {
    const id = JSON.stringify([name, ...limits]);
    let route = this.routes.get(id);
    if (route === undefined) {
      const limiter = this.limiterOf(name);
      route = limiter === undefined ? null : { limiter, limits: limits.map((limit) => limiter.limit(limit)) };
      this.routes.set(id, route);
    }
    return route;
  }

  private limiterOf(name: string): LimiterTally | undefined {
    let limiter = this.limiters.get(name);
    if (limiter === undefined) {
      if (this.options.limiters !== undefined && !this.options.limiters.has(name)) return undefined;
      limiter = new LimiterTally(name, this.options.durationBuckets.length);
      this.limiters.set(name, limiter);
    }
    return limiter;
  }

  private warnOnce(error: unknown): void {
    if (this.warned) return;
    this.warned = true;
    process.emitWarning(
      `flowgate metrics: a message on a flowgate channel could not be counted (${error instanceof Error ? error.message : String(error)}); ` +
        'the decision was not affected. Reported once.',
      { code: 'FG_METRICS_MESSAGE_INVALID' },
    );
  }
}

function outcomeIndex(outcome: Outcome): number {
  switch (outcome) {
    case 'allowed':
      return 0;
    case 'denied':
      return 1;
    case 'shadow_denied':
      return 2;
    case 'degraded_allowed':
      return 3;
    case 'degraded_denied':
      return 4;
  }
  throw new TypeError(`unknown outcome ${String(outcome)}`);
}
