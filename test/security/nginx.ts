/**
 * A real reverse proxy for the proxy-header attack tests: nginx, started on a
 * free loopback port (IPv4 and IPv6) with a configuration written to a temp
 * directory, stopped after. It proxies each request to the upstream port named
 * by the request's `X-Test-Upstream` header (so one nginx serves every
 * framework of a test file), and appends the client address the way
 * deployments do:
 * - `X-Forwarded-For: $proxy_add_x_forwarded_for` (the client's field lines,
 *   joined, then `, <address>`);
 * - `Forwarded`: the client's field, then `, for=<address>` as RFC 7239 §4
 *   says, IPv6 quoted and bracketed (`for="[::1]"`), through a `map`;
 * - `X-Real-IP: $remote_addr` (replacing the client's).
 *
 * The binary is `$NGINX`, else `nginx` on PATH, else `/usr/sbin/nginx`
 * (`scripts/test.mjs` installs Debian's nginx-light when run as root).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/redis-server.js';

export interface Nginx {
  readonly port: number;
  /** e.g. `'1.22.1'` (Debian 12). */
  readonly version: string;
  /** [major, minor]: nginx < 1.23 passes only the first line of a repeated header to `$http_*` variables. */
  readonly versionNumbers: readonly [number, number];
  stop(): Promise<void>;
}

function nginxBinary(): string {
  if (process.env.NGINX) return process.env.NGINX;
  const found = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' });
  if (found.status === 0 && found.stdout.trim() !== '') return found.stdout.trim();
  return '/usr/sbin/nginx';
}

function config(dir: string, port: number): string {
  return `
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  # The length tests send headers of ~15 KB (node's own limit is 16 KB in all).
  large_client_header_buffers 4 64k;

  # RFC 7239 node: IPv6 in brackets and quotes, IPv4 as a token.
  map $remote_addr $flowgate_node {
    ~:      "\\"[$remote_addr]\\"";
    default $remote_addr;
  }
  map $http_forwarded $flowgate_forwarded {
    ""      "for=$flowgate_node";
    default "$http_forwarded, for=$flowgate_node";
  }

  server {
    listen 127.0.0.1:${port};
    listen [::1]:${port};
    location / {
      proxy_pass http://127.0.0.1:$http_x_test_upstream;
      proxy_set_header X-Test-Upstream "";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header Forwarded $flowgate_forwarded;
      proxy_set_header X-Real-IP $remote_addr;
    }
  }
}
`;
}

async function accepting(port: number, child: ChildProcess, log: () => string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}:\n${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`nginx did not accept connections on port ${port}:\n${log()}`);
}

/** Starts nginx on a free loopback port; see the module comment for what it does to requests. */
export async function startNginx(): Promise<Nginx> {
  const binary = nginxBinary();
  const probe = spawnSync(binary, ['-v'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `nginx not found (${binary}): the proxy-header tests put a real nginx in front of each framework. ` +
        'Install it (Debian: apt-get install nginx-light; npm test does this when run as root) or set NGINX.',
    );
  }
  const version = /nginx\/(\d+)\.(\d+)\.(\d+)/.exec(probe.stderr);
  const dir = mkdtempSync(join(tmpdir(), 'flowgate-nginx-'));
  const port = await freePort();
  writeFileSync(join(dir, 'nginx.conf'), config(dir, port));
  const child = spawn(binary, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], {
    stdio: 'ignore',
  });
  const log = (): string => {
    try {
      return readFileSync(join(dir, 'error.log'), 'utf8');
    } catch {
      return '(no error log)';
    }
  };
  try {
    await accepting(port, child, log);
  } catch (error) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    port,
    version: version ? `${version[1]}.${version[2]}.${version[3]}` : 'unknown',
    versionNumbers: version ? [Number(version[1]), Number(version[2])] : [0, 0],
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
