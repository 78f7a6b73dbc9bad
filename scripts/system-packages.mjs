#!/usr/bin/env node
// The programs the test suite runs besides Node, and the Debian package of
// each. `npm test` (scripts/test.mjs) installs the missing ones with apt-get
// when it runs as root, and otherwise says what to install and stops before
// any test runs. A test that starts a new program adds one row here.
//
//   node scripts/system-packages.mjs          check (and, as root, install)
//   node scripts/system-packages.mjs --list   print the table as JSON
import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** @type {readonly { command: string, package: string, neededBy: string }[]} */
export const SYSTEM_PACKAGES = [
  // The Redis Cluster and restart tests start their own servers even when REDIS_URL is set.
  { command: 'redis-server', package: 'redis-server', neededBy: 'the Redis tests' },
  { command: 'redis-cli', package: 'redis-tools', neededBy: 'the Redis Cluster and failure tests' },
  { command: 'chromium', package: 'chromium', neededBy: 'the HTML report test (test/simulate/report-render.test.ts)' },
  {
    command: 'promtool',
    package: 'prometheus',
    neededBy: 'the Prometheus exposition and scrape tests (test/observe/prometheus.test.ts, test/serve/http.test.ts)',
  },
  // nginx lives in /usr/sbin, which not every user's PATH holds; test/security/nginx.ts looks there too.
  {
    command: 'nginx',
    package: 'nginx-light',
    neededBy: 'the proxy-header attack tests (test/security)',
    alsoIn: ['/usr/sbin'],
  },
  {
    command: 'protoc',
    package: 'protobuf-compiler',
    neededBy: 'the independent gRPC client test (test/serve/protoc-curl.test.ts)',
  },
  { command: 'curl', package: 'curl', neededBy: 'the independent gRPC client test (test/serve/protoc-curl.test.ts)' },
];

/** The absolute path of `command` on `path` (a PATH value), or undefined. */
export function which(command, path = process.env.PATH ?? '') {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const file = join(dir, command);
    try {
      accessSync(file, constants.X_OK);
      if (statSync(file).isFile()) return file;
    } catch {}
  }
  return undefined;
}

/** The rows whose command is missing from `env.PATH`. */
export function missingPackages(env = process.env) {
  return SYSTEM_PACKAGES.filter((row) => !which(row.command, env.PATH));
}

function describe(rows) {
  const width = Math.max(...rows.map((row) => row.command.length));
  return rows.map((row) => `  ${row.command.padEnd(width)}  (Debian package ${row.package}) for ${row.neededBy}`);
}

/**
 * Makes sure every program of SYSTEM_PACKAGES is on PATH. As root with apt-get:
 * installs the missing packages in one `apt-get install`. Otherwise: prints
 * the exact install command and returns false.
 */
export function ensureSystemPackages(env = process.env) {
  const missing = missingPackages(env);
  if (missing.length === 0) return true;
  const packages = [...new Set(missing.map((row) => row.package))];
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const aptGet = which('apt-get', env.PATH);
  if (root && aptGet) {
    console.log(['npm test needs programs that are not on PATH; installing them:', ...describe(missing)].join('\n'));
    const aptEnv = { ...env, DEBIAN_FRONTEND: 'noninteractive' };
    for (const args of [
      ['update', '-qq'],
      ['install', '-y', '-qq', ...packages],
    ]) {
      const run = spawnSync(aptGet, args, { stdio: 'inherit', env: aptEnv });
      if (run.status !== 0) {
        console.error(`apt-get ${args.join(' ')} failed (exit ${run.status ?? run.signal})`);
        return false;
      }
    }
    const still = missingPackages(env);
    if (still.length === 0) return true;
    console.error(['apt-get install succeeded, but these are still not on PATH:', ...describe(still)].join('\n'));
    return false;
  }
  const why = root ? 'apt-get is not available' : 'not running as root';
  console.error(
    [
      'npm test needs programs that are not on PATH:',
      ...describe(missing),
      `Install them, then run npm test again (it installs them itself as root on Debian/Ubuntu; here ${why}):`,
      `  sudo apt-get install ${packages.join(' ')}`,
    ].join('\n'),
  );
  return false;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === '--list') console.log(JSON.stringify(SYSTEM_PACKAGES));
  else process.exit(ensureSystemPackages() ? 0 : 1);
}
