#!/usr/bin/env node
// `npm test [-- file...]`: makes sure the programs the tests start are
// installed (scripts/system-packages.mjs), rebuilds dist/ when src/ is newer
// (the package, README and consumer tests load the built package), then runs
// the test files with Node's test runner, whose summary ends the output.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ensureSystemPackages } from './system-packages.mjs';

function testFiles(dir) {
  const files = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files.push(...testFiles(path));
    else if (name.endsWith('.test.ts')) files.push(path);
  }
  return files;
}

function newestMtime(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

/** Builds dist/ when it is missing or older than what it is built from. */
function ensureBuilt() {
  const built = existsSync('dist/index.d.ts') ? statSync('dist/index.d.ts').mtimeMs : undefined;
  if (built !== undefined && built >= Math.max(newestMtime('src'), newestMtime('tsup.config.ts'))) return true;
  console.log(built === undefined ? 'dist/ is missing: building it' : 'src/ changed since dist/ was built: rebuilding');
  const tsup = join('node_modules', 'tsup', 'dist', 'cli-default.js');
  return spawnSync(process.execPath, [tsup, '--silent'], { stdio: 'inherit' }).status === 0;
}

if (!ensureSystemPackages() || !ensureBuilt()) process.exit(1);
const files = process.argv.length > 2 ? process.argv.slice(2) : testFiles('test');
// A test that hangs (a server that never answers, a client that reconnects
// forever) fails after TEST_TIMEOUT_MS instead of holding CI until its own
// limit, and a file whose tests are done exits even if a handle is left open.
const TEST_TIMEOUT_MS = 240_000;
const run = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    '--test-concurrency=2',
    `--test-timeout=${TEST_TIMEOUT_MS}`,
    '--test-force-exit',
    ...files,
  ],
  { stdio: 'inherit' },
);
process.exit(run.status ?? 1);
