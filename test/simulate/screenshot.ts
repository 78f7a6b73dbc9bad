// Regenerates docs/report-screenshot.png from a report written by `flowgate simulate --out`:
//   node --import tsx src/cli/main.ts simulate --out /tmp/report.html
//   node --import tsx test/simulate/screenshot.ts /tmp/report.html docs/report-screenshot.png
import { resolve } from 'node:path';
import { renderReport } from './render.js';

const [report, png] = process.argv.slice(2);
if (!report || !png) {
  console.error('usage: node --import tsx test/simulate/screenshot.ts <report.html> <out.png>');
  process.exit(1);
}
const seen = await renderReport(resolve(report), resolve(png));
console.log(JSON.stringify({ consoleErrors: seen.consoleErrors, charts: Object.keys(seen.charts) }));
