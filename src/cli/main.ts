#!/usr/bin/env node
// The `flowgate` bin (dist/cli/main.js). commander and csv-parse are bundled in by tsup.
import { createRequire } from 'node:module';

// commander is CommonJS bundled into this ESM file, where its `require('events')`
// goes through esbuild's shim, which needs a global `require` at call time. Install
// one, then load the program with a dynamic import so it runs after this line
// whatever order static imports are evaluated or sorted in.
// Resolved from this script's path; commander only asks for Node built-ins.
const scope = globalThis as { require?: NodeJS.Require };
scope.require ??= createRequire(process.argv[1] ?? `${process.cwd()}/`);

import('./program.js')
  .then(({ createProgram }) => createProgram().parseAsync(process.argv))
  .catch((error: unknown) => {
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`flowgate: unexpected error: ${text}\n`);
    process.exitCode = 1;
  });
