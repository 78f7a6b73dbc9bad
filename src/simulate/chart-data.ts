import type { RunRecord } from './runner.js';

/** Requests per second over time for one algorithm, one value per bin. */
export interface ChartSeries {
  readonly algorithm: string;
  /** Admitted requests per second (the leaky bucket's counted when served). */
  readonly admitted: number[];
  /** Offered requests per second: every request, admitted or not. */
  readonly offered: number[];
  /** The panel's y-axis top: the admitted peak rounded up to a nice number. */
  readonly yMax: number;
}

/** One chart: the same bins for every algorithm. */
export interface ChartView {
  /** `overview`: the whole run; `zoom`: around one window boundary. */
  readonly kind: 'overview' | 'zoom';
  /** First and last instant drawn, ms since the epoch; bins start at `fromMs`. */
  readonly fromMs: number;
  readonly toMs: number;
  readonly binMs: number;
  /** The zoom's window boundary; undefined for the overview. */
  readonly boundaryMs?: number;
  readonly series: ChartSeries[];
}

/** Both charts of a report, plus what their axes count from. */
export interface ChartData {
  /** The first window start: the overview's time axis counts from it. */
  readonly startMs: number;
  readonly windowMs: number;
  /** The per-key limit per window. */
  readonly limit: number;
  /**
   * The most that all the traffic charted can sustain, per second: the global
   * limit's rate, or with one key the limit's; undefined when many keys share
   * the chart with no global limit (their per-key rate bounds nothing drawn).
   */
  readonly sustained: { readonly perSecond: number; readonly of: 'limit' | 'global limit' } | undefined;
  readonly overview: ChartView;
  readonly zoom: ChartView;
}

/** About this many bins across the overview. */
const OVERVIEW_BINS = 150;
/** About this many bins across the zoom. */
const ZOOM_BINS = 100;
/** The zoom spans this many times the distance that holds 90% of the requests near its boundary. */
const ZOOM_MARGIN = 2.5;

/** Bin widths and tick steps, in ms: 1-2-5 below a second, then round seconds, minutes, hours. */
const NICE_MS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000,
  900_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000,
];

/** Multipliers of the sustained interval for overview bins. */
const NICE_FACTORS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000];

/**
 * The overview's bin: about {@link OVERVIEW_BINS} across `spanMs`, and a whole
 * number of sustained intervals (`window / limit`, 600 ms for 100 per minute)
 * when that is a whole number of ms, so a stream at exactly the limit's rate
 * (the leaky bucket's output) is the same height in every bin instead of
 * aliasing into a comb.
 */
export function overviewBinMs(spanMs: number, windowMs: number, limit: number): number {
  const target = spanMs / OVERVIEW_BINS;
  const interval = windowMs / limit;
  const factor = Number.isInteger(interval) ? NICE_FACTORS.find((f) => f * interval >= target) : undefined;
  return factor === undefined ? niceMs(target) : factor * interval;
}

/** The least nice duration >= `ms`. */
export function niceMs(ms: number): number {
  return NICE_MS.find((nice) => nice >= ms) ?? Math.ceil(ms / 86_400_000) * 86_400_000;
}

/**
 * The least "nice" number >= `value` (1, 2, 2.5, 5 times a power of ten), so an
 * axis ends just above its data: a peak of 100 gets an axis to 100, 1.67 to 2.
 */
export function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  let power = 10 ** Math.floor(Math.log10(value));
  // log10 is inexact near powers of ten (log10(1000) may be 2.9999999999999996).
  if (power * 10 <= value) power *= 10;
  const nice = [1, 2, 2.5, 5, 10].find((m) => m * power >= value * (1 - 1e-12)) as number;
  return nice * power;
}

/**
 * The two charts of a report: the whole run in bins that fit its length, and a
 * zoom around the window boundary with the most traffic, in bins that fit the
 * traffic there (the boundary burst's 400 ms get 10 ms bins). The leaky
 * bucket's requests are counted when they are served (`at + delayMs`): that
 * is the traffic the service behind it sees.
 *
 * @example
 * const { overview, zoom } = chartData(runs, { startMs: report.params.startMs, windowMs: 60_000, limit: 100 });
 */
export function chartData(
  runs: readonly RunRecord[],
  { startMs, windowMs, limit, globalLimit }: { startMs: number; windowMs: number; limit: number; globalLimit?: number },
): ChartData {
  let endMs = startMs + 1000;
  let firstMs = Number.POSITIVE_INFINITY;
  for (const run of runs) {
    for (let i = 0; i < run.at.length; i++) {
      endMs = Math.max(endMs, (run.at[i] as number) + (run.delayMs[i] as number) + 1);
      firstMs = Math.min(firstMs, run.at[i] as number);
    }
  }
  if (firstMs === Number.POSITIVE_INFINITY) firstMs = startMs;
  // Skip a long quiet lead-in (boundary-burst starts near the end of its first window).
  const lead = Math.max(1000, Math.floor((endMs - firstMs) / 10));
  const binMs = overviewBinMs(endMs - Math.max(startMs, firstMs - lead), windowMs, limit);
  const fromMs = Math.max(startMs, startMs + Math.floor((firstMs - lead - startMs) / binMs) * binMs);
  const toMs = fromMs + Math.ceil((endMs - fromMs) / binMs) * binMs;
  const overview = view('overview', runs, fromMs, toMs, binMs);
  const { boundaryMs, halfMs } = zoomAround(runs[0], startMs, windowMs, fromMs, endMs);
  const zoomBinMs = niceMs((2 * halfMs) / ZOOM_BINS);
  const zoom = view('zoom', runs, boundaryMs - halfMs, boundaryMs + halfMs, zoomBinMs, boundaryMs);
  const oneKey = runs.every((run) => run.keys.length <= 1);
  const sustained =
    globalLimit !== undefined
      ? { perSecond: (globalLimit * 1000) / windowMs, of: 'global limit' as const }
      : oneKey
        ? { perSecond: (limit * 1000) / windowMs, of: 'limit' as const }
        : undefined;
  return { startMs, windowMs, limit, sustained, overview, zoom };
}

/**
 * The boundary with the most offered requests within half a window of it, and
 * a half-width that shows them: 2.5 times the distance from the boundary that
 * holds 90% of them, rounded up to a nice duration, at most half a window.
 */
function zoomAround(
  run: RunRecord | undefined,
  startMs: number,
  windowMs: number,
  fromMs: number,
  endMs: number,
): { boundaryMs: number; halfMs: number } {
  const half = Math.floor(windowMs / 2);
  const near = new Map<number, number[]>();
  for (const at of run?.at ?? []) {
    // The boundary nearest to `at`, and how far from it (a request at the boundary is 1 ms into the new window).
    const boundary = startMs + Math.round((at - startMs) / windowMs) * windowMs;
    const distance = at < boundary ? boundary - at : at - boundary + 1;
    if (distance > half) continue;
    const list = near.get(boundary) ?? [];
    list.push(distance);
    near.set(boundary, list);
  }
  let boundaryMs = Math.max(startMs + windowMs, Math.ceil(fromMs / windowMs) * windowMs);
  let most = 0;
  for (const [boundary, distances] of near) {
    if (boundary <= fromMs || boundary >= endMs) continue;
    if (distances.length > most || (distances.length === most && boundary < boundaryMs)) {
      [boundaryMs, most] = [boundary, distances.length];
    }
  }
  const distances = Float64Array.from(near.get(boundaryMs) ?? [half]).sort();
  const p90 = distances[Math.max(0, Math.ceil(0.9 * distances.length) - 1)] as number;
  return { boundaryMs, halfMs: Math.min(half, niceMs(ZOOM_MARGIN * p90)) };
}

/** Bins `[fromMs, toMs)` into `binMs` bins, per run. */
function view(
  kind: ChartView['kind'],
  runs: readonly RunRecord[],
  fromMs: number,
  toMs: number,
  binMs: number,
  boundaryMs?: number,
): ChartView {
  const bins = Math.ceil((toMs - fromMs) / binMs);
  const perSecond = 1000 / binMs;
  const series = runs.map((run): ChartSeries => {
    const admitted = new Array<number>(bins).fill(0);
    const offered = new Array<number>(bins).fill(0);
    const add = (values: number[], at: number): void => {
      const bin = Math.floor((at - fromMs) / binMs);
      if (bin >= 0 && bin < bins) values[bin] = (values[bin] as number) + perSecond;
    };
    for (let i = 0; i < run.at.length; i++) {
      const at = run.at[i] as number;
      add(offered, at);
      if (run.allowed[i]) add(admitted, at + (run.delayMs[i] as number));
    }
    return { algorithm: run.algorithm, admitted, offered, yMax: niceCeiling(Math.max(0, ...admitted)) };
  });
  return { kind, fromMs, toMs, binMs, ...(boundaryMs === undefined ? {} : { boundaryMs }), series };
}
