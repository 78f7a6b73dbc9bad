/**
 * A throwaway redis-server for tests and benchmarks: started on a free
 * loopback port with persistence off, stopped (and its data gone) after.
 * With REDIS_URL set, that server is used instead and `stop()` leaves it
 * running (tests flush what they use, so point it at a disposable Redis).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

export interface RedisServer {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The child process, when this helper started the server (undefined with REDIS_URL). */
  readonly process: ChildProcess | undefined;
  /** Stops the server (SIGKILL) and waits for it to exit. */
  stop(): Promise<void>;
  /** Kills the server and starts a fresh one (empty) on the same port: a Redis restart. */
  restart(): Promise<void>;
}

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  server.close();
  await once(server, 'close');
  return port;
}

/** Runs redis-cli with `args` against `port` and returns its stdout. */
export function redisCli(port: number, ...args: string[]): string {
  const run = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`redis-cli ${args.join(' ')} failed: ${run.stderr}`);
  return run.stdout.trim();
}

/** The installed redis-server's major version. */
const REDIS_MAJOR = Number(
  /v=(\d+)/.exec(spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout ?? '')?.[1] ?? 0,
);

/**
 * Starts redis-server on `port` with `extra` arguments and resolves once it
 * accepts commands. DEBUG (off by default since Redis 7) is allowed from
 * loopback, for the tests that put the server to sleep.
 */
export async function spawnRedis(port: number, extra: string[] = [], cwd?: string): Promise<ChildProcess> {
  const debug = REDIS_MAJOR >= 7 ? ['--enable-debug-command', 'local'] : [];
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...debug, ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'], cwd },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const ready = new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (output.includes('Ready to accept connections')) resolve();
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}:\n${output}`)));
    child.once('error', reject);
  });
  const timeout = setTimeout(() => child.kill('SIGKILL'), 10_000);
  try {
    await ready;
  } finally {
    clearTimeout(timeout);
  }
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

/**
 * Starts a fresh redis-server on a free loopback port, or connects to REDIS_URL.
 * `own: true` always starts one (tests that kill and restart it).
 */
export async function startRedis(options: { own?: boolean } = {}): Promise<RedisServer> {
  const external = process.env.REDIS_URL;
  if (external && !options.own) {
    const parsed = new URL(external);
    const port = Number(parsed.port || 6379);
    return {
      url: external,
      host: parsed.hostname,
      port,
      process: undefined,
      stop: async () => {},
      restart: async () => {
        throw new Error('restart() needs a redis-server started by the test run; unset REDIS_URL');
      },
    };
  }
  const port = await freePort();
  let child = await spawnRedis(port);
  return {
    url: `redis://127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    get process() {
      return child;
    },
    stop: () => kill(child),
    restart: async () => {
      await kill(child);
      child = await spawnRedis(port);
    },
  };
}
