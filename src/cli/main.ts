#!/usr/bin/env node
// The `flowgate` bin (dist/cli/main.js). commander and csv-parse are bundled in by tsup.
import { createProgram } from './program.js';

createProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`flowgate: unexpected error: ${text}\n`);
    process.exitCode = 1;
  });
