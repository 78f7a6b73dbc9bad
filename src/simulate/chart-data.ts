import type { RunRecord } from './runner.js';

/** Requests per second over time for one algorithm. */
export interface ChartSeries {
  readonly algorithm: string;
  /** Admitted requests per second, one value per bin. */
  readonly admitted: number[];
  /** Offered requests per second (every request, admitted or not), one value per bin. */
  readonly offered: number[];
}

/** Everything the chart needs. Bins start at `fromMs`; the axis counts from `startMs` (a window start). */
export interface ChartData {
  readonly startMs: number;
  /** First instant drawn: a little before the first request. */
  readonly fromMs: number;
  readonly endMs: number;
  readonly binMs: number;
  readonly windowMs: number;
  readonly series: ChartSeries[];
}

/** Bins at most this many per chart: beyond, a bin spans several seconds (still plotted per second). */
const MAX_BINS = 1200;

/**
 * Counts admitted requests per second per algorithm. The leaky bucket's
 * requests are counted when they are served (`at + delayMs`): that is the
 * traffic the service behind it sees.
 *
 * @example
 * const data = chartData(runs, report.params.startMs, 60_000);
 */
export function chartData(runs: readonly RunRecord[], startMs: number, windowMs: number): ChartData {
  let endMs = startMs + 1000;
  let firstMs = Number.POSITIVE_INFINITY;
  for (const run of runs) {
    for (let i = 0; i < run.at.length; i++) {
      endMs = Math.max(endMs, (run.at[i] as number) + (run.delayMs[i] as number) + 1);
      firstMs = Math.min(firstMs, run.at[i] as number);
    }
  }
  // Skip a long quiet lead-in (boundary-burst starts near the end of its first window).
  const lead = Math.max(1000, Math.floor((endMs - firstMs) / 10));
  const fromMs = Math.max(startMs, startMs + Math.floor((firstMs - lead - startMs) / 1000) * 1000);
  const binMs = 1000 * Math.max(1, Math.ceil((endMs - fromMs) / 1000 / MAX_BINS));
  const bins = Math.ceil((endMs - fromMs) / binMs);
  const perSecond = 1000 / binMs;
  const series = runs.map((run): ChartSeries => {
    const admitted = new Array<number>(bins).fill(0);
    const offered = new Array<number>(bins).fill(0);
    for (let i = 0; i < run.at.length; i++) {
      const at = run.at[i] as number;
      const bin = Math.floor((at - fromMs) / binMs);
      offered[bin] = (offered[bin] as number) + perSecond;
      if (!run.allowed[i]) continue;
      const served = at + (run.delayMs[i] as number);
      const servedBin = Math.floor((served - fromMs) / binMs);
      admitted[servedBin] = (admitted[servedBin] as number) + perSecond;
    }
    return { algorithm: run.algorithm, admitted, offered };
  });
  return { startMs, fromMs, endMs, binMs, windowMs, series };
}
