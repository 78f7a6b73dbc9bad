// Instruction counts of a Node process under valgrind's cachegrind (no cache
// simulation): what neither the machine's load nor its clock changes, for the
// benches that resolve costs of a few thousand instructions.

import { spawnSync } from 'node:child_process';

/** valgrind's arguments before a Node script: cachegrind, JIT-safe, and Node on one thread. */
export const CACHEGRIND_NODE: readonly string[] = [
  '--tool=cachegrind',
  '--cache-sim=no',
  // V8 writes code it then runs: valgrind must check for it outside mapped files.
  '--smc-check=all-non-file',
  '--cachegrind-out-file=/dev/null',
  process.execPath,
  '--single-threaded',
];

/** The instructions Node ran for `script args…`, start to exit; throws with valgrind's output if it failed. */
export function countInstructions(cwd: string, script: string, args: readonly string[]): number {
  const run = spawnSync('valgrind', [...CACHEGRIND_NODE, script, ...args], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  const match = /I\s+refs:\s+([\d,]+)/.exec(run.stderr);
  if (run.status !== 0 || !match) throw new Error(`${script} ${args.join(' ')}: ${run.stderr.slice(-2000)}`);
  return Number((match[1] as string).replaceAll(',', ''));
}
