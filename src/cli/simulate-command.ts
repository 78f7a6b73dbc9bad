import { Argument, Command, Option } from 'commander';
import type { Algorithm } from '../index.js';
import { COLUMNS, OFFERED_RATE_HELP, OFFERED_RATE_TITLE } from '../simulate/columns.js';
import { SimulateError } from '../simulate/errors.js';
import { renderHtmlReport } from '../simulate/html-report.js';
import { renderJson } from '../simulate/json.js';
import { LIMIT_SET_COLUMNS } from '../simulate/limit-set-columns.js';
import { DEFAULT_SCENARIO, SCENARIOS } from '../simulate/scenarios/index.js';
import { simulate } from '../simulate/simulate.js';
import { renderTable, wrap } from '../simulate/table.js';
import type { TimeUnit } from '../simulate/trace.js';
import { ALGORITHMS } from '../simulate/types.js';
import { checkOutFile, writeOutFile } from './out-file.js';
import { parseAlgorithms, parseDurationFlag, parseLimit, parseSeed } from './parse-options.js';

interface Flags {
  trace?: string;
  timeUnit?: TimeUnit;
  limit: number;
  window: number;
  algorithms: Algorithm[];
  seed: number;
  duration?: number;
  globalLimit?: number;
  format: 'table' | 'json';
  out?: string;
}

const SCENARIO_HELP = [...SCENARIOS.values()].map((s) => `  ${s.name.padEnd(15)} ${s.summary}`).join('\n');

const COLUMN_HELP = COLUMNS.slice(1)
  .flatMap((c) => wrap(`${c.title('<window>')} (${c.field}): ${c.help('<window>')}`, 78, '    '))
  .map((line) => `  ${line}`)
  .join('\n');

const LIMIT_SET_HELP = LIMIT_SET_COLUMNS.flatMap((c) =>
  wrap(`${c.title('<window>')} (${c.field}): ${c.help('<window>')}`, 78, '    '),
)
  .map((line) => `  ${line}`)
  .join('\n');

const OFFERED_HELP = wrap(`${OFFERED_RATE_TITLE}: ${OFFERED_RATE_HELP}`, 78, '    ')
  .map((line) => `  ${line}`)
  .join('\n');

const MORE_HELP = `
Scenarios:
${SCENARIO_HELP}

Each algorithm stands for "limit per window": fixed-window, sliding-log and
sliding-window use it as is; token-bucket and leaky-bucket use capacity = limit
and a rate of limit / window (100 per 60s is exactly 5/3 per second). Every run
uses the real MemoryStore through RateLimiter on a virtual clock: no sleeping.

Columns (also the fields of --format json):
${COLUMN_HELP}
${OFFERED_HELP}

Limit sets (botnet, also limitSets in --format json): the same traffic under a
per-source limit alone, the global limit alone, and both as one limit set (all
or nothing), with the exact sliding log, one row each:
${LIMIT_SET_HELP}

Trace files (--trace): one request per line, timestamp in ms, key, optional cost.
  Timestamps in seconds (e.g. Unix time from a log): add --time-unit s. A trace
  whose every timestamp looks like Unix seconds is refused without it.
  CSV:   1767225600000,user:1,1   (optional header: timestamp,key,cost)
  JSONL: {"timestamp": 1767225600000, "key": "user:1", "cost": 1}

Examples:
  $ flowgate simulate
  $ flowgate simulate steady --duration 1h --format json
  $ flowgate simulate retry-storm --limit 10 --window 1s --algorithms token-bucket,sliding-window
  $ flowgate simulate --trace traffic.csv --limit 100 --window 1m --out report.html
`;

/**
 * The `simulate` command: runs a scenario or a trace through each algorithm
 * and prints a table, JSON, and optionally writes an HTML report.
 *
 * @example
 * program.addCommand(simulateCommand());
 */
export function simulateCommand(): Command {
  return new Command('simulate')
    .description('run traffic through every algorithm on a virtual clock and compare them with the exact sliding log')
    .addArgument(
      new Argument('[scenario]', 'named traffic pattern (see Scenarios below)')
        .choices([...SCENARIOS.keys()])
        .default(DEFAULT_SCENARIO),
    )
    .option('--trace <file>', 'replay your own traffic from a .csv or .jsonl file instead of a scenario')
    .addOption(
      new Option(
        '--time-unit <unit>',
        "unit of the trace's timestamps (default: ms; a trace in Unix seconds is refused)",
      ).choices(['ms', 's']),
    )
    .option('--limit <n>', 'requests (units) per window, per key', parseLimit, 100)
    .option('--window <duration>', 'window length: 500ms, 10s, 1m, 1h or ms', parseDurationFlag, 60_000)
    .option('--algorithms <list>', `comma-separated subset of ${ALGORITHMS.join(',')}`, parseAlgorithms, [
      ...ALGORITHMS,
    ])
    .option('--seed <n>', 'seed of the random traffic (steady, mobile-sync, retry-storm, botnet)', parseSeed, 1)
    .option(
      '--duration <duration>',
      "length of the scenario's traffic (default: the scenario's own)",
      parseDurationFlag,
    )
    .option(
      '--global-limit <n>',
      'botnet: limit per window on all traffic together (default 100 x --limit)',
      parseLimit,
    )
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('--out <file.html>', 'also write a self-contained HTML report with a chart')
    .addHelpText('after', MORE_HELP)
    .showHelpAfterError('(run flowgate simulate --help for usage)')
    .action(async function run(this: Command, scenario: string, flags: Flags) {
      if (flags.trace !== undefined && this.args.length > 0) {
        this.error(`error: give a scenario (${scenario}) or --trace ${flags.trace}, not both`);
      }
      if (flags.timeUnit !== undefined && flags.trace === undefined) {
        this.error(
          `error: --time-unit ${flags.timeUnit} applies to the timestamps of --trace <file>; no trace was given`,
        );
      }
      if (flags.out !== undefined && !flags.out.toLowerCase().endsWith('.html')) {
        this.error(
          `error: option '--out <file.html>' argument '${flags.out}' is invalid. expected a file name ending in .html`,
        );
      }
      try {
        if (flags.out !== undefined) checkOutFile(flags.out);
        const simulation = await simulate({
          scenario,
          trace: flags.trace,
          timeUnit: flags.timeUnit,
          limit: flags.limit,
          windowMs: flags.window,
          algorithms: flags.algorithms,
          seed: flags.seed,
          durationMs: flags.duration,
          globalLimit: flags.globalLimit,
        });
        process.stdout.write(flags.format === 'json' ? renderJson(simulation.report) : renderTable(simulation.report));
        if (flags.out !== undefined) {
          writeOutFile(flags.out, renderHtmlReport(simulation));
          process.stderr.write(`wrote ${flags.out}\n`);
        }
      } catch (error) {
        if (error instanceof SimulateError) this.error(`error: ${error.message}`, { code: error.code });
        throw error;
      }
    });
}
