#!/usr/bin/env node
// `npm test`: makes sure a redis-server binary exists (tests start their own
// throwaway servers on free loopback ports), then runs every test file with
// Node's test runner.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function has(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

// The proxy-header attack tests (test/security) put a real nginx in front of each framework.
// nginx lives in /usr/sbin, which is not on every user's PATH; test/security/nginx.ts looks there too.
function ensureNginx() {
  if (process.env.NGINX || has('nginx') || spawnSync('test', ['-x', '/usr/sbin/nginx']).status === 0) return;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (root && has('apt-get')) {
    console.log('nginx not found: installing Debian package nginx-light');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', 'nginx-light'], { stdio: 'inherit', env });
    return;
  }
  console.error(
    'The proxy-header tests (test/security) need nginx. Install it (Debian/Ubuntu: sudo apt-get install ' +
      'nginx-light; macOS: brew install nginx), or set NGINX to the path of an nginx binary.',
  );
  process.exit(1);
}

function ensureRedis() {
  if (process.env.REDIS_URL || has('redis-server')) return;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (root && has('apt-get')) {
    console.log('redis-server not found: installing Debian package redis-server');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', 'redis-server'], { stdio: 'inherit', env });
    return;
  }
  console.error(
    'The Redis tests need redis-server on PATH. Install it (Debian/Ubuntu: sudo apt-get install redis-server; ' +
      'macOS: brew install redis), or point REDIS_URL at a disposable Redis (it will be flushed).',
  );
  process.exit(1);
}

function testFiles(dir) {
  const files = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files.push(...testFiles(path));
    else if (name.endsWith('.test.ts')) files.push(path);
  }
  return files;
}

ensureNginx();
ensureRedis();
const files = process.argv.length > 2 ? process.argv.slice(2) : testFiles('test');
const run = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...files],
  { stdio: 'inherit' },
);
process.exit(run.status ?? 1);
