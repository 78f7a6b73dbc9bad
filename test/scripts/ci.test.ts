// CI (.ci/run) installs exactly the committed lock file, checks, and runs the
// test command the README gives contributors, nothing else.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The command lines of a shell script or block: no comments, blank lines, `set` or `cd`. */
function commands(script: string): string[] {
  return script
    .split('\n')
    .map((line) => line.replace(/(^|\s)#.*$/, '').trim())
    .filter((line) => line !== '' && !/^(set|cd)\s/.test(line));
}

/** The `npm test…` line of the README's "Working on flowgate" shell block. */
function readmeTestCommand(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith('Working on flowgate'));
  assert.ok(section, 'README has a "Working on flowgate" section');
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  const line = commands(block).find((c) => c.startsWith('npm test'));
  assert.ok(line, 'the "Working on flowgate" block gives the test command');
  return line;
}

test('.ci/run: npm ci, npm run check, then the README test command', () => {
  const steps = commands(readFileSync(join(root, '.ci/run'), 'utf8'));
  assert.deepEqual(steps, ['npm ci --no-audit --no-fund', 'npm run check', readmeTestCommand()]);
});

test('npm ci accepts the committed package-lock.json', () => {
  // `npm ci --dry-run` validates the lock against package.json exactly as `npm ci`
  // does (it refused the lock that lacked other platforms' optional builds), and
  // in a copy it cannot touch this checkout's node_modules.
  const dir = mkdtempSync(join(tmpdir(), 'flowgate-lock-'));
  try {
    for (const file of ['package.json', 'package-lock.json']) copyFileSync(join(root, file), join(dir, file));
    const run = spawnSync('npm', ['ci', '--dry-run', '--ignore-scripts', '--no-audit', '--no-fund'], {
      cwd: dir,
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, run.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
