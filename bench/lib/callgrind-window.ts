/**
 * Counting the instructions of a window of a node process's run under
 * callgrind: the process calls `os.getPriority()` where the window starts
 * (callgrind zeroes its counts) and `os.loadavg()` where it ends (callgrind
 * dumps them); nothing else in node calls either. Used by
 * bench/http-instructions.ts and bench/observe-instructions.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** valgrind's arguments up to and including node's own, for a callgrind output written to `outFile`. */
export function callgrindWindowArgs(outFile: string, options: { predictableGc: boolean }): string[] {
  return [
    '--tool=callgrind',
    `--callgrind-out-file=${outFile}`,
    '--zero-before=uv_os_getpriority',
    '--dump-before=uv_loadavg',
    '--dump-instr=no',
    '--dump-line=no',
    // V8 writes code it then runs: valgrind must check for it outside mapped files.
    '--smc-check=all-non-file',
    process.execPath,
    '--single-threaded',
    '--hash-seed=1',
    '--random-seed=1',
    // Heap growth, idle and memory-reducing GCs at fixed points, not by time.
    ...(options.predictableGc ? ['--predictable-gc-schedule'] : []),
  ];
}

/** The window's instruction count (dump 1's `summary`; the last dump, at exit, is the rest), or undefined. */
export function windowInstructions(dir: string): number | undefined {
  const dump = readdirSync(dir).find((name) => name.endsWith('.1'));
  const match = dump === undefined ? null : /^summary:\s+(\d+)/m.exec(readFileSync(join(dir, dump), 'utf8'));
  return match ? Number(match[1]) : undefined;
}
