import type { Algorithm } from '../index.js';

/** One request offered to the limiter. Times are whole milliseconds since the epoch. */
export interface Arrival {
  /** When the request arrives, in ms since the epoch. */
  readonly at: number;
  /** The limiter key (a user, a device, a source address). */
  readonly key: string;
  /** Units the request spends. */
  readonly cost: number;
  /** Scenario-private bookkeeping (e.g. the retry attempt); the runner passes it back untouched. */
  readonly attempt?: number;
}

/** What the runner tells a closed-loop scenario about one decision. */
export interface Outcome {
  readonly allowed: boolean;
  /** 0 when allowed; otherwise the least wait after which the request would be admitted. */
  readonly retryAfterMs: number;
}

/**
 * The traffic of one run. Open-loop traffic is fixed in advance; closed-loop
 * traffic (`react`) also depends on the decisions, so each algorithm sees the
 * trace its own decisions provoke.
 */
export interface Traffic {
  /** Requests known before the run starts, in any order. */
  readonly arrivals: readonly Arrival[];
  /**
   * A second limit every request must also pass, on one shared key (`'all'`):
   * the two form a limit set, all or nothing. Same algorithm, same window.
   */
  readonly globalLimit?: number;
  /**
   * With a global limit: the key groups (a key's text before its first `:`) of
   * the attack and of the legitimate clients. The report then compares a
   * per-source limit alone, the global limit alone and the set of both.
   */
  readonly groups?: TrafficGroups;
  /** Follow-up request (a retry) after a decision, if any. */
  react?(arrival: Arrival, outcome: Outcome): Arrival | undefined;
}

/** Which key groups are the attack and which the legitimate clients. */
export interface TrafficGroups {
  readonly attack: string;
  readonly legitimate: string;
}

/** The numbers a scenario is built from. */
export interface ScenarioContext {
  /** Units per window, per key. */
  readonly limit: number;
  readonly windowMs: number;
  /** First instant of the simulation: the start of a window. */
  readonly startMs: number;
  /** How long the traffic lasts. */
  readonly durationMs: number;
  /** Seed of the scenario's random choices. */
  readonly seed: number;
  /** `--global-limit`, when the user gave one (scenarios with a global limit pick a default otherwise). */
  readonly globalLimit: number | undefined;
}

/** A named traffic pattern. */
export interface Scenario {
  readonly name: string;
  /** One line for `--help`. */
  readonly summary: string;
  /** One line for reports, with the actual numbers. @default summary */
  describe?(context: ScenarioContext): string;
  /** Default length of the traffic, in windows. */
  readonly defaultWindows: number;
  /** Builds the traffic; called once per algorithm with the same context, so every algorithm sees the same RNG draws. */
  traffic(context: ScenarioContext): Traffic;
}

/** Every algorithm, in report order. */
export const ALGORITHMS: readonly Algorithm[] = [
  'fixed-window',
  'sliding-log',
  'sliding-window',
  'token-bucket',
  'leaky-bucket',
];
