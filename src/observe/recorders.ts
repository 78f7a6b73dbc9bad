import type { Channel } from 'node:diagnostics_channel';
import type { Decision } from '../policies/decision.js';
import type { LimitSpec } from '../policies/limit-set.js';

/**
 * The direct path from a limiter to flowgate's own exporters. An exporter
 * subscribed to `flowgate:decision` would make every decision build a
 * message and go through `publish` only to bump a few numbers: on the
 * memory store that was a fifth of a decision. So the exporters also
 * register here, each limiter asks them once for a sink bound to its name
 * and limits, and calls the sinks with the decision itself; a message is
 * built only when someone else listens. The channel and its messages are
 * unchanged for every other subscriber.
 */

/** What one exporter counts for one limiter. Never throws (a decision must not fail because of metrics). */
export interface DecisionSink {
  /**
   * One decision: `decided` as the store (or the failure policy) answered,
   * `result` as the caller got it (shadow mode, a set of one), `storeMs` as
   * in {@link DecisionEvent.storeMs}.
   */
  decision(operation: 'limit' | 'peek', decided: Decision, result: Decision, storeMs: number | undefined): void;
}

/** An exporter on the direct path. */
export interface DecisionRecorder {
  /** A sink for the limiter `name` with these limits, or undefined when this exporter does not count it. */
  bind(name: string, limits: readonly LimitSpec[]): DecisionSink | undefined;
  /** Its subscriber on `flowgate:decision`, which messages need not reach. */
  readonly handler: (message: unknown, name: string | symbol) => void;
}

interface RecorderRegistry {
  /** Bumped at every change, so that limiters rebind their sinks. */
  version: number;
  recorders: readonly DecisionRecorder[];
}

/**
 * One registry per process, as the channels are: flowgate loaded twice (its
 * ESM and CommonJS builds, or the `flowgate` bin beside the library) still
 * has one set of exporters. Versioned key: a later shape gets a new one.
 */
const KEY = Symbol.for('flowgate.decision-recorders.v1');
const global = globalThis as { [KEY]?: RecorderRegistry };
const registry: RecorderRegistry = global[KEY] ?? { version: 0, recorders: [] };
global[KEY] = registry;

/**
 * Marks a message whose decision the registered recorders have counted
 * already: their channel subscribers skip it. A message without the mark
 * (another flowgate that predates this path, or anyone publishing on the
 * channel) is counted from the channel as before.
 */
export const COUNTED = Symbol.for('flowgate.decision-counted');

export function register(recorder: DecisionRecorder): void {
  registry.recorders = [...registry.recorders, recorder];
  registry.version++;
}

export function unregister(recorder: DecisionRecorder): void {
  registry.recorders = registry.recorders.filter((r) => r !== recorder);
  registry.version++;
}

/** A limiter's sinks, rebound when an exporter starts or stops. */
export class LimiterSinks {
  private version = -1;
  private sinks: readonly DecisionSink[] = [];

  constructor(
    private readonly name: string,
    private readonly limits: readonly LimitSpec[],
  ) {}

  current(): readonly DecisionSink[] {
    if (this.version !== registry.version) {
      this.version = registry.version;
      const sinks: DecisionSink[] = [];
      for (const recorder of registry.recorders) {
        const sink = recorder.bind(this.name, this.limits);
        if (sink !== undefined) sinks.push(sink);
      }
      this.sinks = sinks;
    }
    return this.sinks;
  }
}

let seenSubscribers: unknown = null;
let seenOthers = true;

/**
 * Whether `channel` has subscribers other than the registered recorders'.
 * Node keeps a channel's subscribers in `_subscribers`, an array replaced
 * (never changed in place) at every subscribe and unsubscribe since Node 15,
 * so the answer is cached on its identity: a recorder registers before it
 * subscribes and unregisters after it unsubscribes, so the registry never
 * changes without the array. Should a Node version keep them
 * elsewhere, every message is published, as if someone else listened: the
 * recorders' subscribers skip the marked messages, so nothing is counted twice.
 */
export function othersListen(channel: Channel): boolean {
  const subscribers = (channel as unknown as { _subscribers?: unknown })._subscribers;
  if (subscribers === seenSubscribers) return seenOthers;
  seenSubscribers = subscribers;
  if (!Array.isArray(subscribers)) {
    seenOthers = true;
    return seenOthers;
  }
  const own = new Set(registry.recorders.map((recorder) => recorder.handler));
  seenOthers = subscribers.some((subscriber) => !own.has(subscriber));
  return seenOthers;
}
