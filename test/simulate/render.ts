import { chromium } from 'playwright-core';

/** What the headless browser saw of a report. */
export interface Rendered {
  readonly consoleErrors: string[];
  readonly svgCount: number;
  readonly series: { algorithm: string; width: number; height: number; pathLength: number }[];
  readonly boundaries: number;
  readonly tableRows: number;
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
const INSPECT = `({
  svgCount: document.querySelectorAll('svg#chart').length,
  series: [...document.querySelectorAll('svg#chart path.series')].map((path) => {
    const box = path.getBBox();
    return { algorithm: path.dataset.algorithm, width: box.width, height: box.height, pathLength: path.getTotalLength() };
  }),
  boundaries: document.querySelectorAll('svg#chart .panel:first-of-type line.boundary').length,
  tableRows: document.querySelectorAll('#results tbody tr').length,
})`;

/**
 * Opens `file` in the Debian Chromium, collects console errors and what the
 * chart drew; writes a full-page PNG to `screenshot` when given. Network is
 * blocked: the report must be self-contained.
 */
export async function renderReport(file: string, screenshot?: string): Promise<Rendered> {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1040, height: 900 } });
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
