import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Output of one `flowgate` run as a child process. */
export interface CliRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node --import tsx src/cli/main.ts ...args` from the repository root. */
export function flowgate(...args: string[]): CliRun {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** {@link flowgate} without blocking, so several runs overlap. */
export function flowgateAsync(...args: string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Runs `flowgate simulate ... --format json` and parses the report; fails loudly on a non-zero exit. */
export function simulateJson(...args: string[]): {
  scenario: string;
  params: Record<string, unknown>;
  results: {
    algorithm: string;
    admitted: number;
    denied: number;
    maxAdmittedInWindow: number;
    maxAdmittedInWindowAllKeys: number;
    overAdmitted: number;
    underAdmitted: number;
    wrongPercent: number;
    sameHistory: { over: number; under: number; percent: number };
    stateBytesPerKey: number;
    delays?: { p50: number; p99: number; max: number };
    offeredRateError?: { requests: number; wrong: number; falsePositives: number; percent: number };
    offeredRateErrorGlobal?: { requests: number; wrong: number; falsePositives: number; percent: number };
    groups: Record<string, { admitted: number; denied: number }>;
  }[];
} {
  const run = flowgate('simulate', ...args, '--format', 'json');
  if (run.status !== 0) throw new Error(`flowgate exited ${run.status}: ${run.stderr}`);
  return JSON.parse(run.stdout);
}
