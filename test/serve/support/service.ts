/**
 * Starts the real `flowgate serve` process (dist/cli/main.js) on ports the
 * operating system picks (`--grpc-port 0 --http-port 0`, read back from its
 * first line), with a test clock file, and stops it with a signal.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const MAIN = fileURLToPath(new URL('../../../dist/cli/main.js', import.meta.url));

/** 2026-01-01T00:00:10Z: ten seconds into every minute, hour and day window; nothing rolls over unless a test moves it. */
export const T0 = 1_767_225_610_000;

export interface Service {
  readonly process: ChildProcess;
  readonly grpcPort: number;
  readonly httpPort: number;
  readonly url: string;
  /** Everything the process wrote, so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves once what the process wrote to `stream` passes `test` (checked on every write: no polling). */
  printed(stream: 'stdout' | 'stderr', test: (written: string) => boolean): Promise<void>;
  /** Sets the test clock. */
  setClock(ms: number): void;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** A fresh directory under /tmp for one test's files. */
export function tempDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `serve-${name}-`));
}

export async function startService(
  args: readonly string[],
  options: { clockFile?: string; clock?: number } = {},
): Promise<Service> {
  const clockFile = options.clockFile ?? join(tempDir('clock'), 'now');
  writeFileSync(clockFile, String(options.clock ?? T0));
  const child = spawn(
    process.execPath,
    [MAIN, 'serve', '--grpc-port', '0', '--http-port', '0', '--test-clock', clockFile, ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ports = await new Promise<{ grpc: number; http: number }>((resolve, reject) => {
    const check = (): void => {
      const match = /grpc \S+:(\d+) http \S+:(\d+)/.exec(out);
      if (match) resolve({ grpc: Number(match[1]), http: Number(match[2]) });
    };
    child.stdout.on('data', check);
    exited.then((code) => reject(new Error(`flowgate serve exited with ${code} before listening:\n${err}`)));
  });
  return {
    process: child,
    grpcPort: ports.grpc,
    httpPort: ports.http,
    url: `http://127.0.0.1:${ports.http}`,
    stdout: () => out,
    stderr: () => err,
    printed: (stream, test) =>
      new Promise<void>((resolve, reject) => {
        const written = (): string => (stream === 'stdout' ? out : err);
        const check = (): void => {
          if (!test(written())) return;
          child[stream].off('data', check);
          resolve();
        };
        // Listeners run in order: the accumulating one above sees each chunk first.
        child[stream].on('data', check);
        exited.then((code) => reject(new Error(`flowgate serve exited with ${code}; it wrote:\n${written()}`)));
        check();
      }),
    setClock: (ms) => writeFileSync(clockFile, String(ms)),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs the process to its exit (for start-up errors) and returns its code and stderr. */
export function runToExit(args: readonly string[]): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr, stdout })));
}

export { until } from '../../support/until.js';
