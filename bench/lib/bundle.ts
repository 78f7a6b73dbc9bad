// Bundles a bench child with esbuild (its packages left external) so that it
// starts without compiling TypeScript: what valgrind then counts is the child,
// not the loader. Bundles go under node_modules/ so that they resolve the
// packages they leave external.

import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** Bundles `entry` to `name` in the bench cache under `root`'s node_modules; returns the bundle's path. */
export function bundleForNode(root: string, entry: string, name: string): string {
  const cache = join(root, 'node_modules', '.cache', 'flowgate-bench');
  mkdirSync(cache, { recursive: true });
  const outfile = join(cache, name);
  execFileSync(
    join(root, 'node_modules', '.bin', 'esbuild'),
    [
      entry,
      '--bundle',
      '--platform=node',
      '--format=esm',
      '--packages=external',
      `--outfile=${outfile}`,
      '--log-level=warning',
    ],
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  return outfile;
}
