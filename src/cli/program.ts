import { Command } from 'commander';
import { simulateCommand } from './simulate-command.js';

/**
 * The `flowgate` command line. Subcommands: `simulate` (more to come: `bench`, `serve`).
 *
 * @example
 * await createProgram().parseAsync(['node', 'flowgate', 'simulate', '--format', 'json']);
 */
export function createProgram(): Command {
  return new Command('flowgate')
    .description('flowgate: exact rate limiting for Node.js. Compare the five algorithms on your traffic.')
    .addCommand(simulateCommand())
    .showHelpAfterError('(run flowgate --help for usage)');
}
