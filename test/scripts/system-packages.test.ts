// scripts/test.mjs on a machine that lacks the programs the suite starts
// (redis-server, chromium, …): this machine has them and other work uses them,
// so the test hides them instead of uninstalling them. The child runs
// `node scripts/test.mjs` with PATH set to one temporary directory holding a
// recording apt-get stub; the stub "installs" a package by writing its
// commands into that directory, as apt-get would put them on PATH.
import assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

interface Row {
  command: string;
  package: string;
}

const root = new URL('../..', import.meta.url);
const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;
const table: Row[] = JSON.parse(
  spawnSync(process.execPath, ['scripts/system-packages.mjs', '--list'], { cwd: root, encoding: 'utf8' }).stdout,
);
const packages = [...new Set(table.map((row) => row.package))];
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const APT_STUB = `#!${process.execPath}
const { appendFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const args = process.argv.slice(2);
appendFileSync(process.env.FAKE_APT_LOG, JSON.stringify(args) + '\\n');
if (args[0] === 'install' && process.env.FAKE_APT_WORKS === '1') {
  const provides = JSON.parse(process.env.FAKE_APT_PROVIDES);
  for (const name of args.slice(1).filter((a) => !a.startsWith('-'))) {
    for (const command of provides[name] ?? []) {
      writeFileSync(join(process.env.FAKE_APT_BIN, command), '#!/bin/sh\\nexit 0\\n', { mode: 0o755 });
    }
  }
}
`;

interface Machine {
  bin: string;
  run(options?: { uid?: number; aptWorks?: boolean }): SpawnSyncReturns<string>;
  aptCalls(): string[][];
}

/** A PATH of one empty directory, with or without the apt-get stub, and a test file that passes. */
function machine(options: { aptGet: boolean; installed?: string[] }): Machine {
  const dir = mkdtempSync(join(tmpdir(), 'flowgate-machine-'));
  dirs.push(dir);
  chmodSync(dir, 0o755); // readable by the unprivileged child
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  if (options.aptGet) writeFileSync(join(bin, 'apt-get'), APT_STUB, { mode: 0o755 });
  for (const command of options.installed ?? []) writeFileSync(join(bin, command), '#!/bin/sh\n', { mode: 0o755 });
  const log = join(dir, 'apt-get.log');
  writeFileSync(log, '', { mode: 0o666 });
  chmodSync(log, 0o666);
  const passing = join(dir, 'pass.test.mjs');
  writeFileSync(passing, "import { test } from 'node:test';\ntest('runs once the programs are there', () => {});\n");
  const provides: Record<string, string[]> = {};
  for (const row of table) provides[row.package] = [...(provides[row.package] ?? []), row.command];
  return {
    bin,
    run: ({ uid, aptWorks = true } = {}) =>
      spawnSync(process.execPath, ['scripts/test.mjs', passing], {
        cwd: root,
        encoding: 'utf8',
        ...(uid === undefined ? {} : { uid, gid: uid }),
        env: {
          HOME: dir,
          PATH: bin,
          FAKE_APT_LOG: log,
          FAKE_APT_BIN: bin,
          FAKE_APT_WORKS: aptWorks ? '1' : '0',
          FAKE_APT_PROVIDES: JSON.stringify(provides),
        },
      }),
    aptCalls: () =>
      readFileSync(log, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as string[]),
  };
}

/** The last line of the output is the test runner's summary. */
function assertTestsRan(run: SpawnSyncReturns<string>): void {
  assert.equal(run.status, 0, run.stdout + run.stderr);
  const lines = run.stdout.trimEnd().split('\n');
  assert.match(lines.at(-1) ?? '', /^ℹ duration_ms \d/, run.stdout);
  assert.match(run.stdout, /^ℹ pass 1$/m);
}

test('the table names redis-server, chromium and promtool with their Debian packages', () => {
  const byCommand = Object.fromEntries(table.map((row) => [row.command, row.package]));
  assert.equal(byCommand['redis-server'], 'redis-server');
  assert.equal(byCommand.chromium, 'chromium');
  assert.equal(byCommand.promtool, 'prometheus');
});

test('as root on a machine without them, npm test installs every package in one apt-get call, then runs the tests', {
  skip: !isRoot && 'needs root, as on CI',
}, () => {
  const m = machine({ aptGet: true });
  const run = m.run();
  assert.deepEqual(m.aptCalls(), [
    ['update', '-qq'],
    ['install', '-y', '-qq', ...packages],
  ]);
  assert.match(run.stdout, /installing them:\n(.*\n)* {2}chromium +\(Debian package chromium\)/);
  assertTestsRan(run);
  for (const row of table) assert.ok(existsSync(join(m.bin, row.command)), `${row.command} was installed`);
});

test('as root, installs only what is missing', { skip: !isRoot && 'needs root, as on CI' }, () => {
  const m = machine({
    aptGet: true,
    installed: ['redis-server', 'redis-cli', 'nginx', 'protoc', 'curl', 'promtool', 'prometheus'],
  });
  const run = m.run();
  assert.deepEqual(m.aptCalls().at(-1), ['install', '-y', '-qq', 'chromium']);
  assertTestsRan(run);
});

test('with everything installed, apt-get is not called', () => {
  const m = machine({ aptGet: true, installed: table.map((row) => row.command) });
  const run = m.run();
  assert.deepEqual(m.aptCalls(), []);
  assertTestsRan(run);
});

test('not root: says exactly what to install and exits non-zero before any test runs', () => {
  const m = machine({ aptGet: true });
  const run = m.run(isRoot ? { uid: NOBODY } : {});
  assert.notEqual(run.status, 0);
  assert.deepEqual(m.aptCalls(), []);
  assert.ok(run.stderr.includes(`  sudo apt-get install ${packages.join(' ')}\n`), run.stderr);
  for (const row of table)
    assert.match(run.stderr, new RegExp(`^  ${row.command} +\\(Debian package ${row.package}\\)`, 'm'));
  assert.doesNotMatch(run.stdout, /ℹ tests/);
});

test('root without apt-get: says what to install and exits non-zero', { skip: !isRoot && 'needs root' }, () => {
  const m = machine({ aptGet: false });
  const run = m.run();
  assert.notEqual(run.status, 0);
  assert.match(run.stderr, /apt-get is not available/);
  assert.ok(run.stderr.includes(`sudo apt-get install ${packages.join(' ')}`), run.stderr);
  assert.doesNotMatch(run.stdout, /ℹ tests/);
});

test('root, but apt-get leaves a program missing: exits non-zero naming it', { skip: !isRoot && 'needs root' }, () => {
  const m = machine({ aptGet: true });
  const run = m.run({ aptWorks: false });
  assert.notEqual(run.status, 0);
  assert.match(run.stderr, /still not on PATH:\n(.*\n)* {2}chromium/);
  assert.doesNotMatch(run.stdout, /ℹ tests/);
});
