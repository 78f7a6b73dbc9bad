import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Decision } from '../policies/decision.js';
import type { LimitSpec, SetDecision } from '../policies/limit-set.js';
import { CHANNELS, type DecisionEvent, type Outcome, type StoreErrorEvent, type StoreErrorKind } from './events.js';
import type { ResolvedMetricsOptions } from './metrics-options.js';
import { COUNTED, type DecisionRecorder, type DecisionSink, register, unregister } from './recorders.js';

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
    /** Where this limiter's store durations go instead of the buckets (see {@link DurationSink}). */
    readonly recordDuration: ((seconds: number) => void) | undefined = undefined,
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
 * What an exporter does with a limiter's store durations, instead of counting
 * them in {@link LimiterTally}'s buckets (OpenTelemetry has no asynchronous
 * histogram): asked once per limiter, for a function that takes each duration
 * (so that what it needs per limiter, such as attributes, is made once).
 */
export type DurationSink = (limiter: string) => (seconds: number) => void;

/**
 * Counts what the limiters decide, in plain numbers, for an exporter to
 * read when it is collected. Counting runs inside every decision: it costs
 * a few array increments, where a metrics library's own counters would hash
 * their labels on every call. Limiters hand their decisions to a sink bound
 * to them (`bind`, through the recorder registry), with no message; what
 * arrives on the channel unmarked (published by anyone else) is counted from
 * the message. Counts are exact and only grow (until `reset`).
 */
export class Tally implements DecisionRecorder {
  readonly limiters = new Map<string, LimiterTally>();
  private readonly routes = new Map<string, Route | null>();
  /** The last limiter seen, by the identity of its `limits` array (one per limiter): most events need no lookup. */
  private lastLimits: readonly string[] | undefined = undefined;
  private lastName = '';
  private lastRoute: Route | null = null;
  private subscribed = false;
  private warned = false;
  private readonly nearLimitShare: number;
  /**
   * `durationBuckets`, copied: the options hold a frozen array, whose elements
   * optimized code loaded through a generic keyed-load call each (8 a store
   * call, 600 instructions; callgrind).
   */
  private readonly bounds: Float64Array;

  constructor(
    private readonly options: ResolvedMetricsOptions,
    private readonly durationSink?: DurationSink,
  ) {
    this.nearLimitShare = options.nearLimitShare;
    this.bounds = Float64Array.from(options.durationBuckets);
  }

  /** @internal For {@link RouteSink}. */
  nearLimitShareOf(): number {
    return this.nearLimitShare;
  }

  start(): void {
    if (this.subscribed) return;
    this.subscribed = true;
    // Registered before subscribing: a limiter that sees the subscriber finds the recorder.
    register(this);
    subscribe(CHANNELS.decision, this.onDecision);
    subscribe(CHANNELS.storeError, this.onStoreError);
  }

  stop(): void {
    if (!this.subscribed) return;
    this.subscribed = false;
    unsubscribe(CHANNELS.decision, this.onDecision);
    unsubscribe(CHANNELS.storeError, this.onStoreError);
    unregister(this);
  }

  get handler(): (message: unknown) => void {
    return this.onDecision;
  }

  bind(name: string, limits: readonly LimitSpec[]): DecisionSink | undefined {
    const route = this.routeOf(
      name,
      limits.map((spec) => spec.name),
    );
    return route === null ? undefined : new RouteSink(this, route, limits);
  }

  // Arrow properties: one function each, so `unsubscribe` finds what `subscribe` got.
  // A throw would reach the process as an uncaught exception (diagnostics_channel's rule): never let one out.
  private readonly onDecision = (message: unknown): void => {
    try {
      // Counted through a sink already: see recorders.ts.
      if ((message as { [COUNTED]?: unknown } | null)?.[COUNTED] === true) return;
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

  /** @internal For {@link RouteSink}. */
  duration(limiter: LimiterTally, seconds: number): void {
    const record = limiter.recordDuration;
    if (record !== undefined) {
      record(seconds);
      return;
    }
    const bounds = this.bounds;
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
      limiter = new LimiterTally(name, this.options.durationBuckets.length, this.durationSink?.(name));
      this.limiters.set(name, limiter);
    }
    return limiter;
  }

  /** @internal For {@link RouteSink}. */
  warnOnce(error: unknown): void {
    if (this.warned) return;
    this.warned = true;
    process.emitWarning(
      `flowgate metrics: a decision or a message on a flowgate channel could not be counted (${error instanceof Error ? error.message : String(error)}); ` +
        'the decision was not affected. Reported once.',
      { code: 'FG_METRICS_MESSAGE_INVALID' },
    );
  }
}

/**
 * What one limiter's decisions do to one tally, read from the decision
 * itself: the counts {@link Tally.decision} takes from a message (outcomes
 * as `outcomesOf` in outcomes.ts gives them), without the message. This runs
 * inside every decision, so it tests booleans with `=== true` (a `Decision`'s
 * flags are booleans; a bare truth test of its untyped fields costs a dozen
 * instructions each) and has a path of its own for one decision per call.
 */
class RouteSink implements DecisionSink {
  private readonly shadow: readonly boolean[];
  /** The limiter has one limit: a decision without `limits` needs no loop. */
  private readonly one: LimitTally | undefined;
  private readonly oneShadow: boolean;
  private readonly nearLimitShare: number;

  constructor(
    private readonly tally: Tally,
    private readonly route: Route,
    limits: readonly LimitSpec[],
  ) {
    this.shadow = limits.map((spec) => spec.shadow);
    this.one = route.limits.length === 1 ? route.limits[0] : undefined;
    this.oneShadow = this.shadow[0] === true;
    this.nearLimitShare = tally.nearLimitShareOf();
  }

  decision(operation: 'limit' | 'peek', decided: Decision, result: Decision, storeMs: number | undefined): void {
    try {
      if (storeMs !== undefined) this.tally.duration(this.route.limiter, storeMs / 1000);
      if (operation !== 'limit') return;
      const one = this.one;
      if (one !== undefined && (decided as Partial<SetDecision>).limits === undefined)
        this.countOne(one, decided, result);
      else this.countEach(decided, result);
    } catch (error) {
      this.tally.warnOnce(error);
    }
  }

  private countOne(limit: LimitTally, decided: Decision, result: Decision): void {
    const o = outcomeIndexOf(decided, this.oneShadow);
    limit.outcomes[o] = (limit.outcomes[o] as number) + 1;
    if (o !== ALLOWED || result.allowed !== true || result.degraded === true) return;
    // A set of one: the caller's decision carries the limit's own.
    const own = (result as Partial<SetDecision>).limits;
    const d = own === undefined ? result : (own[limit.name] as Decision);
    if (d.remaining < this.nearLimitShare * d.limit) limit.nearLimit++;
  }

  private countEach(decided: Decision, result: Decision): void {
    const admitted = result.allowed === true && result.degraded !== true;
    const resultOwn = (result as Partial<SetDecision>).limits;
    const own = (decided as Partial<SetDecision>).limits;
    const { limits } = this.route;
    for (let i = 0; i < limits.length; i++) {
      const limit = limits[i] as LimitTally;
      // One decision for every limit, or a set's own.
      const o = outcomeIndexOf(own === undefined ? decided : (own[limit.name] as Decision), this.shadow[i] === true);
      limit.outcomes[o] = (limit.outcomes[o] as number) + 1;
      if (admitted && o === ALLOWED) {
        const d = resultOwn === undefined ? result : (resultOwn[limit.name] as Decision);
        if (d.remaining < this.nearLimitShare * d.limit) limit.nearLimit++;
      }
    }
  }
}

const ALLOWED = 0;

/** {@link outcomeIndex} of `outcomeOf(decided, shadow)` (outcomes.ts), with no string in between. */
function outcomeIndexOf(decided: Decision, shadow: boolean): number {
  if (decided.degraded === true) return decided.allowed === true ? 3 : 4;
  if (decided.allowed === true) return ALLOWED;
  return shadow ? 2 : 1;
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
