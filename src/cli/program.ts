import { Command } from 'commander';
import { serveCommand } from './serve-command.js';
import { simulateCommand } from './simulate-command.js';

/**
 * The `flowgate` command line. Subcommands: `simulate`, `serve`.
 *
 * @example
 * await createProgram().parseAsync(['node', 'flowgate', 'simulate', '--format', 'json']);
 */
export function createProgram(): Command {
  return new Command('flowgate')
    .description('flowgate: exact rate limiting for Node.js. Compare the five algorithms on your traffic.')
    .addCommand(simulateCommand())
    .addCommand(serveCommand())
    .showHelpAfterError('(run flowgate --help for usage)');
}
