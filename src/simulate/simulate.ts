import type { Algorithm } from '../index.js';
import { policyFor, stateBytesPerKey } from './algorithms.js';
import { SimulateError } from './errors.js';
import { compareLimitSets, type LimitSetComparison } from './limit-sets.js';
import { type Delays, measure, type RunMetrics } from './metrics.js';
import { type OfferedRateError, offeredRateError } from './offered-rate.js';
import { algorithmGate, type GateFactory, type RunRecord, runTraffic } from './runner.js';
import { DEFAULT_SCENARIO, SCENARIOS } from './scenarios/index.js';
import { readTrace, type TimeUnit } from './trace.js';
import type { Scenario, Traffic } from './types.js';

/** Scenarios start at the first window boundary from 2026-01-01T00:00:00Z. */
const SCENARIO_EPOCH_MS = Date.UTC(2026, 0, 1);

/** What to simulate. */
export interface SimulateOptions {
  /** A scenario name (see `SCENARIOS`); ignored when `trace` is given. @default 'boundary-burst' */
  scenario?: string;
  /** Path of a `.csv` or `.jsonl` trace to replay instead of a scenario. */
  trace?: string;
  /** The unit of the trace's timestamps. @default 'ms', refusing a trace that looks like Unix seconds */
  timeUnit?: TimeUnit;
  /** Units per window, per key. */
  limit: number;
  /** The window, in ms. Buckets use capacity = limit and rate = limit / window. */
  windowMs: number;
  /** Algorithms to report, in order. The sliding log always runs too: it is the reference. */
  algorithms: readonly Algorithm[];
  /** Seed of every random choice. */
  seed: number;
  /** How long scenario traffic lasts, in ms. @default the scenario's own length */
  durationMs?: number;
  /** The botnet scenario's global limit per window. @default 100 × limit */
  globalLimit?: number;
}

/** One algorithm's line of the report. */
export interface AlgorithmResult extends Omit<RunMetrics, 'delays'> {
  readonly algorithm: Algorithm;
  readonly stateBytesPerKey: number;
  /** Leaky bucket only. */
  readonly delays?: Delays;
  /** Sliding window counter only: its per-key estimate against the exact count on offered traffic (Cloudflare's method). */
  readonly offeredRateError?: OfferedRateError;
  /** Sliding window counter with a global limit only: the same for the global limit's one counter. */
  readonly offeredRateErrorGlobal?: OfferedRateError;
}

/** The JSON report (`--format json`). */
export interface SimulationReport {
  readonly scenario: string;
  readonly summary: string;
  readonly params: {
    readonly limit: number;
    readonly windowMs: number;
    readonly algorithms: readonly Algorithm[];
    readonly seed: number;
    readonly startMs: number;
    readonly durationMs: number;
    readonly globalLimit?: number;
    readonly trace?: string;
    readonly timeUnit?: TimeUnit;
  };
  readonly results: readonly AlgorithmResult[];
  /**
   * Scenarios with an attack and legitimate clients (botnet): what a per-source
   * limit alone, the global limit alone and the set of both admit from each.
   */
  readonly limitSets?: LimitSetComparison;
}

/** The report plus every decision, for charts. */
export interface Simulation {
  readonly report: SimulationReport;
  readonly runs: readonly RunRecord[];
}

/**
 * Runs a scenario (or a trace) through each algorithm on a real `MemoryStore`
 * via `RateLimiter`, on a virtual clock, and measures each against the exact
 * sliding log deciding the same requests.
 *
 * @example
 * const { report } = await simulate({ limit: 100, windowMs: 60_000, algorithms: ALGORITHMS, seed: 1 });
 * report.results[0]; // { algorithm: 'fixed-window', admitted: 200, ... }
 */
export async function simulate(options: SimulateOptions): Promise<Simulation> {
  const { limit, windowMs, seed } = options;
  const source = pickSource(options);
  const traffic = source.traffic;
  checkPolicies(options, traffic.globalLimit);
  const settings = { limit, windowMs };
  const gate = (algorithm: Algorithm): GateFactory => algorithmGate(algorithm, settings, traffic.globalLimit);
  // Open-loop traffic is the same for every algorithm: decide it once with the log.
  const openLoop = traffic.react === undefined;
  const logRun = openLoop
    ? await runTraffic(traffic, { algorithm: 'sliding-log', gate: gate('sliding-log') })
    : undefined;
  const runs: RunRecord[] = [];
  for (const algorithm of options.algorithms) {
    if (algorithm === 'sliding-log' && logRun) runs.push(logRun);
    else if (logRun)
      runs.push(await runTraffic(traffic, { algorithm, gate: gate(algorithm), reference: logRun.allowed }));
    else {
      const reference = algorithm === 'sliding-log' ? undefined : gate('sliding-log');
      runs.push(await runTraffic(source.build(), { algorithm, gate: gate(algorithm), reference }));
    }
  }
  const results = runs.map((run): AlgorithmResult => {
    const metrics = measure(run, limit, windowMs, traffic.globalLimit);
    const { delays, ...rest } = metrics;
    const bytes = stateBytesPerKey(policyFor(run.algorithm, limit, windowMs), metrics.maxAdmittedInWindow);
    const { globalLimit } = traffic;
    const offered =
      run.algorithm !== 'sliding-window'
        ? {}
        : {
            offeredRateError: offeredRateError(run, limit, windowMs),
            ...(globalLimit === undefined
              ? {}
              : { offeredRateErrorGlobal: offeredRateError(run, globalLimit, windowMs, 'global') }),
          };
    return { algorithm: run.algorithm, ...rest, stateBytesPerKey: bytes, ...(delays ? { delays } : {}), ...offered };
  });
  const { globalLimit, groups } = traffic;
  const limitSets =
    globalLimit === undefined || groups === undefined
      ? undefined
      : await compareLimitSets(openLoop ? () => traffic : source.build, settings, globalLimit, groups, logRun);
  const report: SimulationReport = {
    scenario: source.name,
    summary: source.summary,
    params: {
      limit,
      windowMs,
      algorithms: options.algorithms,
      seed,
      startMs: source.startMs,
      durationMs: source.durationMs,
      ...(traffic.globalLimit === undefined ? {} : { globalLimit: traffic.globalLimit }),
      ...(options.trace === undefined ? {} : { trace: options.trace }),
      ...(options.trace === undefined || options.timeUnit === undefined ? {} : { timeUnit: options.timeUnit }),
    },
    results,
    ...(limitSets === undefined ? {} : { limitSets }),
  };
  return { report, runs };
}

interface Source {
  readonly name: string;
  readonly summary: string;
  readonly startMs: number;
  readonly durationMs: number;
  readonly traffic: Traffic;
  /** A fresh copy of the traffic (closed-loop scenarios keep state per run). */
  build(): Traffic;
}

function pickSource(options: SimulateOptions): Source {
  const { limit, windowMs, seed } = options;
  if (options.trace !== undefined) {
    const arrivals = readTrace(options.trace, limit, options.timeUnit);
    let first = Number.POSITIVE_INFINITY;
    let last = Number.NEGATIVE_INFINITY;
    for (const { at } of arrivals) {
      first = Math.min(first, at);
      last = Math.max(last, at);
    }
    const startMs = first - (first % windowMs);
    const traffic: Traffic = { arrivals };
    const summary = `${arrivals.length} requests replayed from ${options.trace}`;
    return { name: 'trace', summary, startMs, durationMs: last + 1 - startMs, traffic, build: () => traffic };
  }
  const name = options.scenario ?? DEFAULT_SCENARIO;
  const scenario = SCENARIOS.get(name) as Scenario;
  if (!scenario) {
    throw new SimulateError(
      'FG_SIM_OPTION_INVALID',
      `scenario: received ${JSON.stringify(name)}, expected one of ${[...SCENARIOS.keys()].join(', ')}`,
    );
  }
  // Start on a window boundary, so epoch-aligned windows line up with the scenario's.
  const startMs = Math.ceil(SCENARIO_EPOCH_MS / windowMs) * windowMs;
  const durationMs = options.durationMs ?? scenario.defaultWindows * windowMs;
  const context = { limit, windowMs, startMs, durationMs, seed, globalLimit: options.globalLimit };
  const build = (): Traffic => scenario.traffic(context);
  const summary = scenario.describe?.(context) ?? scenario.summary;
  return { name, summary, startMs, durationMs, traffic: build(), build };
}

/** Builds every policy once up front, so a limit the core cannot count exactly is reported before any run. */
function checkPolicies(options: SimulateOptions, globalLimit: number | undefined): void {
  const algorithms = new Set<Algorithm>([...options.algorithms, 'sliding-log']);
  for (const [flag, limit] of [
    ['--limit', options.limit],
    ['--global-limit', globalLimit],
  ] as const) {
    if (limit === undefined) continue;
    for (const algorithm of algorithms) {
      try {
        policyFor(algorithm, limit, options.windowMs);
      } catch (error) {
        throw new SimulateError(
          'FG_SIM_OPTION_INVALID',
          `${flag} ${limit} with --window ${options.windowMs}ms cannot be simulated with ${algorithm}: ${(error as Error).message}`,
        );
      }
    }
  }
}
