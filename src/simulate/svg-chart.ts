import type { ChartData, ChartSeries, ChartView } from './chart-data.js';
import { niceMs } from './chart-data.js';
import { formatCount, formatDuration } from './format.js';

/** One color per algorithm, readable on white. */
const COLORS: Record<string, string> = {
  'fixed-window': '#d62728',
  'sliding-log': '#1f77b4',
  'sliding-window': '#2ca02c',
  'token-bucket': '#9467bd',
  'leaky-bucket': '#ff7f0e',
};

/** The viewBox width; the SVG itself takes the page's width. */
const WIDTH = 1200;
const PANEL_HEIGHT = 118;
const MARGIN = { left: 60, right: 12, top: 26, bottom: 20 };
/** Past this many window boundaries the dashed lines would turn into a grey wash. */
const MAX_BOUNDARY_LINES = 150;

/**
 * An inline SVG of one view: a panel per algorithm sharing the x axis, each
 * with its own y axis from 0 to its admitted peak rounded up (so a slow, even
 * stream such as the leaky bucket's output is as legible as a burst), the
 * offered traffic in grey behind, window boundaries dashed and the limit's
 * sustained rate dotted. `svg#overview` or `svg#zoom`, with the bin width and
 * each panel's axis in data attributes.
 *
 * @example
 * const data = chartData(runs, { startMs, windowMs, limit });
 * const html = renderSvgChart(data, data.zoom);
 */
export function renderSvgChart(data: ChartData, view: ChartView): string {
  const { series, binMs, fromMs, toMs } = view;
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (ms: number): number => round(MARGIN.left + ((ms - fromMs) / (toMs - fromMs)) * plotWidth);
  const height = PANEL_HEIGHT * series.length + 34;
  const sustained = data.sustained?.perSecond;
  const sustainedText =
    data.sustained === undefined
      ? ''
      : ` · dotted: the ${data.sustained.of}'s sustained rate, ${round(data.sustained.perSecond)}/s`;
  const label =
    view.kind === 'zoom'
      ? `Admitted requests per second around the window boundary, ${formatDuration(binMs)} bins`
      : `Admitted requests per second over the whole run, ${formatDuration(binMs)} bins`;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" id="${view.kind}" class="chart" viewBox="0 0 ${WIDTH} ${height}" width="100%" role="img" aria-label="${label}" data-bin-ms="${binMs}" data-from-ms="${fromMs}" data-to-ms="${toMs}"${view.boundaryMs === undefined ? '' : ` data-boundary-ms="${view.boundaryMs}"`}>`,
    '<style>text{font:12px system-ui,sans-serif;fill:#333}.title{font-weight:600;font-size:13px}.axis{stroke:#999}.grid{stroke:#eee}.boundary{stroke:#444;stroke-dasharray:4 3;stroke-width:1}.sustained{stroke:#333;stroke-dasharray:1 3;stroke-width:1.2}.offered{fill:#e3e3e3;stroke:#c8c8c8;stroke-width:.6}.note{fill:#666;font-size:11px}</style>',
  ];
  const boundaries: number[] = [];
  for (let t = Math.ceil(fromMs / data.windowMs) * data.windowMs; t <= toMs; t += data.windowMs) {
    boundaries.push(t);
    if (boundaries.length > MAX_BOUNDARY_LINES) break;
  }
  const drawBoundaries = boundaries.length <= MAX_BOUNDARY_LINES;
  series.forEach((s, index) => {
    parts.push(...panel(s, index));
  });
  const binText = `${formatDuration(binMs)} bins`;
  const xText = view.kind === 'zoom' ? 'time from the boundary' : `time since ${new Date(data.startMs).toISOString()}`;
  parts.push(
    `<text class="note" x="${MARGIN.left}" y="${height - 20}">y: admitted requests per second (${binText}), each panel on its own scale from 0 to its peak rounded up · grey: offered, every request admitted or not</text>`,
    `<text class="note" x="${MARGIN.left}" y="${height - 6}">dashed: window boundaries${drawBoundaries ? '' : ' (too many to draw)'}${sustainedText} · x: ${xText}</text>`,
    '</svg>',
  );
  return parts.join('\n');

  function panel(s: ChartSeries, index: number): string[] {
    const top = index * PANEL_HEIGHT;
    const color = COLORS[s.algorithm] ?? '#000';
    const { yMax } = s;
    const y = (value: number): number =>
      round(MARGIN.top + plotHeight - (Math.min(value, yMax * 1.04) / yMax) * plotHeight);
    const peak = Math.max(0, ...s.admitted);
    const offeredPeak = Math.max(0, ...s.offered);
    const total = Math.round(s.admitted.reduce((sum, v) => sum + v, 0) * (binMs / 1000));
    const served = s.algorithm === 'leaky-bucket' ? ' (counted when served: admission + delayMs)' : '';
    const clipped = offeredPeak > yMax * 1.04 ? `; offered up to ${round(offeredPeak)}/s (clipped)` : '';
    const out = [
      `<g class="panel" data-algorithm="${s.algorithm}" data-y-max="${yMax}" data-peak="${round(peak)}" transform="translate(0 ${top})">`,
      `<clipPath id="clip-${view.kind}-${index}"><rect x="${MARGIN.left}" y="${MARGIN.top - 2}" width="${plotWidth}" height="${plotHeight + 2}"/></clipPath>`,
      `<text class="title" x="${MARGIN.left}" y="${MARGIN.top - 9}" fill="${color}">${s.algorithm}${served}</text>`,
      `<text x="${MARGIN.left + plotWidth}" y="${MARGIN.top - 9}" text-anchor="end">${formatCount(total)} admitted here, peak ${round(peak)}/s${clipped}</text>`,
    ];
    for (const fraction of [0, 0.5, 1]) {
      const gy = y(yMax * fraction);
      out.push(
        `<line class="grid" x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${gy}" y2="${gy}"/>`,
        `<text x="${MARGIN.left - 6}" y="${gy + 4}" text-anchor="end"${fraction === 1 ? ' class="y-max"' : ''}>${round(yMax * fraction)}</text>`,
      );
    }
    out.push(
      `<g clip-path="url(#clip-${view.kind}-${index})">`,
      `<path class="offered" d="${area(s.offered, y)}"/>`,
      `<path class="series admitted" data-algorithm="${s.algorithm}" fill="${color}" fill-opacity=".35" stroke="${color}" stroke-width="1.5" d="${area(s.admitted, y)}"/>`,
      '</g>',
    );
    // The sustained rate, where it is more than a sliver of the panel.
    if (sustained !== undefined && sustained <= yMax && sustained >= yMax / 20) {
      const sy = y(sustained);
      out.push(`<line class="sustained" x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${sy}" y2="${sy}"/>`);
    }
    if (drawBoundaries) {
      for (const t of boundaries) {
        out.push(
          `<line class="boundary" x1="${x(t)}" x2="${x(t)}" y1="${MARGIN.top - 2}" y2="${MARGIN.top + plotHeight}"/>`,
        );
      }
    }
    out.push(
      `<line class="axis" x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${MARGIN.top + plotHeight}" y2="${MARGIN.top + plotHeight}"/>`,
    );
    for (const tick of ticks()) {
      out.push(`<text x="${x(tick.ms)}" y="${MARGIN.top + plotHeight + 14}" text-anchor="middle">${tick.text}</text>`);
    }
    out.push('</g>');
    return out;
  }

  /** A step-shaped closed path under `values`, one step per bin, from the first non-zero bin to the last. */
  function area(values: number[], y: (value: number) => number): string {
    const first = values.findIndex((value) => value > 0);
    if (first < 0) return '';
    const last = values.length - 1 - [...values].reverse().findIndex((value) => value > 0);
    const base = y(0);
    const points: string[] = [`M${x(fromMs + first * binMs)} ${base}`];
    for (let i = first; i <= last; i++) {
      const vy = y(values[i] as number);
      points.push(`L${x(fromMs + i * binMs)} ${vy}`, `L${x(fromMs + (i + 1) * binMs)} ${vy}`);
    }
    points.push(`L${x(fromMs + (last + 1) * binMs)} ${base}Z`);
    return points.join('');
  }

  /** About ten round ticks: from the boundary in the zoom, from the first window start in the overview. */
  function ticks(): { ms: number; text: string }[] {
    const origin = view.boundaryMs ?? data.startMs;
    const step = niceMs((toMs - fromMs) / 10);
    const out: { ms: number; text: string }[] = [];
    // Labels stay inside the plot: none within 3% of its edges.
    const margin = (toMs - fromMs) * 0.03;
    for (let t = Math.ceil((fromMs + margin - origin) / step) * step; origin + t <= toMs - margin; t += step) {
      const text =
        view.boundaryMs === undefined
          ? formatTime(t)
          : t === 0
            ? 'boundary'
            : `${t > 0 ? '+' : '−'}${formatTime(Math.abs(t))}`;
      out.push({ ms: origin + t, text });
    }
    return out;
  }
}

/** `60s`, `2m`, `59.4s`, `250ms`. */
function formatTime(ms: number): string {
  if (ms !== 0 && ms < 1000) return `${ms}ms`;
  return ms % 1000 === 0 ? formatDuration(ms) : `${round(ms / 1000)}s`;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
