import { chromium } from 'playwright-core';

/** One panel of a chart, as drawn. */
export interface RenderedPanel {
  readonly algorithm: string;
  /** The y axis top (data-y-max) and the top label as drawn. */
  readonly yMax: number;
  readonly yMaxLabel: string;
  /** The admitted peak the panel reports (data-peak). */
  readonly peak: number;
  /** The admitted series' bounding box and the plot height, in CSS pixels. */
  readonly width: number;
  readonly height: number;
  readonly plotHeight: number;
  readonly pathLength: number;
}

/** One chart (`svg#zoom` or `svg#overview`), as drawn. */
export interface RenderedChart {
  readonly binMs: number;
  readonly fromMs: number;
  readonly toMs: number;
  readonly boundaryMs: number | null;
  /** Rendered width in CSS pixels. */
  readonly width: number;
  /** Dashed window boundaries drawn in the first panel. */
  readonly boundaries: number;
  readonly panels: RenderedPanel[];
}

/** What the headless browser saw of a report. */
export interface Rendered {
  readonly consoleErrors: string[];
  readonly charts: Record<string, RenderedChart>;
  readonly svgCount: number;
  readonly bodyWidth: number;
  readonly tableWidth: number;
  /** Height of each results row, in CSS pixels: equal when no cell wraps. */
  readonly rowHeights: number[];
  readonly headerCells: string[];
  readonly legendTerms: string[];
  /** The limit-set comparison's header and rows (`table#limit-sets`), as shown; empty without one. */
  readonly limitSetCells: string[][];
}

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

// Runs in the page; a string so this Node-side file needs no DOM types.
const INSPECT = `(() => {
  const scale = (svg) => svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  const charts = {};
  for (const svg of document.querySelectorAll('svg.chart')) {
    const k = scale(svg);
    charts[svg.id] = {
      binMs: Number(svg.dataset.binMs),
      fromMs: Number(svg.dataset.fromMs),
      toMs: Number(svg.dataset.toMs),
      boundaryMs: svg.dataset.boundaryMs === undefined ? null : Number(svg.dataset.boundaryMs),
      width: svg.getBoundingClientRect().width,
      boundaries: svg.querySelectorAll('.panel:first-of-type line.boundary').length,
      panels: [...svg.querySelectorAll('g.panel')].map((g) => {
        const path = g.querySelector('path.series');
        const box = path.getBBox();
        const clip = g.querySelector('clipPath rect').getBBox();
        return {
          algorithm: g.dataset.algorithm,
          yMax: Number(g.dataset.yMax),
          yMaxLabel: g.querySelector('text.y-max').textContent,
          peak: Number(g.dataset.peak),
          width: box.width * k,
          height: box.height * k,
          plotHeight: clip.height * k,
          pathLength: path.getTotalLength(),
        };
      }),
    };
  }
  return {
    charts,
    svgCount: document.querySelectorAll('svg').length,
    bodyWidth: document.body.clientWidth,
    tableWidth: document.querySelector('#results').getBoundingClientRect().width,
    rowHeights: [...document.querySelectorAll('#results tbody tr')].map((tr) => tr.getBoundingClientRect().height),
    headerCells: [...document.querySelectorAll('#results thead th')].map((th) => th.textContent),
    legendTerms: [...document.querySelectorAll('dl#columns dt')].map((dt) => dt.textContent),
    limitSetCells: [...document.querySelectorAll('#limit-sets tr')].map((tr) =>
      [...tr.querySelectorAll('th, td')].map((cell) => cell.innerText),
    ),
  };
})()`;

/**
 * Opens `file` in the Debian Chromium, collects console errors and what the
 * chart drew; writes a full-page PNG to `screenshot` when given. Network is
 * blocked: the report must be self-contained.
 */
export async function renderReport(file: string, screenshot?: string): Promise<Rendered> {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    await page.route(/^https?:/, (route) => {
      consoleErrors.push(`network request: ${route.request().url()}`);
      return route.abort();
    });
    await page.goto(`file://${file}`);
    const seen = (await page.evaluate(INSPECT)) as Omit<Rendered, 'consoleErrors'>;
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
    return { consoleErrors, ...seen };
  } finally {
    await browser.close();
  }
}
