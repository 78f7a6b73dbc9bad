import type { ChartData } from './chart-data.js';
import { formatDuration } from './format.js';

/** One color per algorithm, readable on white. */
const COLORS: Record<string, string> = {
  'fixed-window': '#d62728',
  'sliding-log': '#1f77b4',
  'sliding-window': '#2ca02c',
  'token-bucket': '#9467bd',
  'leaky-bucket': '#ff7f0e',
};

const WIDTH = 960;
const PANEL_HEIGHT = 150;
const MARGIN = { left: 64, right: 16, top: 28, bottom: 22 };
/** Past this many window boundaries the dashed lines would turn into a grey wash. */
const MAX_BOUNDARY_LINES = 150;

/**
 * An inline SVG: one panel per algorithm, sharing the x axis (seconds since
 * the first window start) and the y scale (admitted requests per second), so
 * panels compare at a glance. Grey: offered requests per second (clipped).
 * Dashed lines: window boundaries.
 *
 * @example
 * const svg = renderSvgChart(chartData(runs, startMs, windowMs));
 */
export function renderSvgChart(data: ChartData): string {
  const { series, binMs, windowMs, startMs, fromMs, endMs } = data;
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const spanMs = endMs - fromMs;
  const yMax = niceCeiling(Math.max(1, ...series.flatMap((s) => s.admitted)));
  // `ms` counts from `fromMs`.
  const x = (ms: number): number => MARGIN.left + (ms / spanMs) * plotWidth;
  const y = (value: number): number => MARGIN.top + plotHeight - (Math.min(value, yMax * 1.05) / yMax) * plotHeight;
  const height = PANEL_HEIGHT * series.length + 24;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" id="chart" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-label="Admitted requests per second by algorithm">`,
    `<style>text{font:11px system-ui,sans-serif;fill:#333}.title{font-weight:600;font-size:12px}.axis{stroke:#999}.grid{stroke:#eee}.boundary{stroke:#555;stroke-dasharray:3 3;stroke-width:.8}.offered{fill:#ccc;stroke:none}</style>`,
  ];
  const boundaries: number[] = [];
  const firstBoundary = Math.ceil(fromMs / windowMs) * windowMs;
  for (let t = firstBoundary; t <= endMs && boundaries.length <= MAX_BOUNDARY_LINES; t += windowMs) boundaries.push(t);
  const drawBoundaries = boundaries.length <= MAX_BOUNDARY_LINES;
  series.forEach((s, index) => {
    const top = index * PANEL_HEIGHT;
    const color = COLORS[s.algorithm] ?? '#000';
    parts.push(`<g class="panel" data-algorithm="${s.algorithm}" transform="translate(0 ${top})">`);
    parts.push(
      `<clipPath id="clip-${index}"><rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotWidth}" height="${plotHeight}"/></clipPath>`,
    );
    const served = s.algorithm === 'leaky-bucket' ? ' (counted when served: admission + delayMs)' : '';
    const peak = round(Math.max(0, ...s.admitted));
    const total = round(s.admitted.reduce((sum, v) => sum + v, 0) * (binMs / 1000));
    parts.push(
      `<text class="title" x="${MARGIN.left}" y="${MARGIN.top - 8}" fill="${color}">${s.algorithm}${served}</text>`,
      `<text x="${MARGIN.left + plotWidth}" y="${MARGIN.top - 8}" text-anchor="end">${total} admitted, peak ${peak}/s</text>`,
    );
    for (const fraction of [0, 0.5, 1]) {
      const gy = y(yMax * fraction);
      parts.push(`<line class="grid" x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${gy}" y2="${gy}"/>`);
      parts.push(`<text x="${MARGIN.left - 6}" y="${gy + 4}" text-anchor="end">${round(yMax * fraction)}</text>`);
    }
    parts.push(`<g clip-path="url(#clip-${index})">`);
    parts.push(`<path class="offered" d="${area(s.offered, binMs, x, y)}"/>`);
    parts.push(
      `<path class="series admitted" data-algorithm="${s.algorithm}" fill="${color}" fill-opacity=".25" stroke="${color}" stroke-width="1.2" d="${area(s.admitted, binMs, x, y)}"/>`,
    );
    parts.push('</g>');
    if (drawBoundaries) {
      for (const t of boundaries) {
        const bx = x(t - fromMs);
        parts.push(`<line class="boundary" x1="${bx}" x2="${bx}" y1="${MARGIN.top}" y2="${MARGIN.top + plotHeight}"/>`);
      }
    }
    parts.push(
      `<line class="axis" x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${MARGIN.top + plotHeight}" y2="${MARGIN.top + plotHeight}"/>`,
    );
    // Labels count from the first window start, so boundaries fall on round numbers.
    for (const tick of ticks(fromMs - startMs, endMs - startMs)) {
      const tx = x(tick - (fromMs - startMs));
      parts.push(
        `<text x="${tx}" y="${MARGIN.top + plotHeight + 14}" text-anchor="middle">${formatDuration(tick)}</text>`,
      );
    }
    parts.push('</g>');
  });
  parts.push(
    `<text x="${MARGIN.left}" y="${height - 6}">y: admitted requests per second (${binMs === 1000 ? '1 s bins' : `${binMs / 1000} s bins`}); grey: offered requests per second; dashed: window boundaries${drawBoundaries ? '' : ' (too many to draw)'}; x: time since ${new Date(startMs).toISOString()}</text>`,
  );
  parts.push('</svg>');
  return parts.join('\n');
}

/** A step-shaped closed path under `values`, one step per bin. */
function area(values: number[], binMs: number, x: (ms: number) => number, y: (v: number) => number): string {
  const base = y(0);
  const points: string[] = [`M${x(0)} ${base}`];
  values.forEach((value, i) => {
    const vy = round(y(value));
    points.push(`L${round(x(i * binMs))} ${vy}`, `L${round(x((i + 1) * binMs))} ${vy}`);
  });
  points.push(`L${round(x(values.length * binMs))} ${base}Z`);
  return points.join('');
}

/** At most about ten round tick positions in `[from, to]` (ms since the first window start). */
function ticks(from: number, to: number): number[] {
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400].map(
    (s) => s * 1000,
  );
  const step = steps.find((s) => (to - from) / s <= 10) ?? Math.ceil((to - from) / 10);
  const out: number[] = [];
  for (let t = Math.ceil(from / step) * step; t <= to; t += step) out.push(t);
  return out;
}

function niceCeiling(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  const nice = [1, 2, 2.5, 5, 10].find((m) => m * power >= value) ?? 10;
  return nice * power;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
