// Bundles a bench child with esbuild (its packages left external) so that it
// starts without compiling TypeScript: what valgrind then counts is the child,
// not the loader. Bundles go under node_modules/ so that they resolve the
// packages they leave external.

import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Bundles `entry` to `name` in the bench cache under `root`'s node_modules; returns the bundle's path.
 * A module the entry imports with `import()` becomes a chunk of its own (in a folder named
 * after the bundle), with its packages: loaded only if the child imports it.
 */
export function bundleForNode(root: string, entry: string, name: string): string {
  const outdir = join(root, 'node_modules', '.cache', 'flowgate-bench', name.replace(/\.mjs$/, ''));
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  execFileSync(
    join(root, 'node_modules', '.bin', 'esbuild'),
    [
      entry,
      '--bundle',
      '--splitting',
      '--platform=node',
      '--format=esm',
      '--packages=external',
      `--outdir=${outdir}`,
      '--entry-names=main',
      '--out-extension:.js=.mjs',
      '--log-level=warning',
    ],
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  return join(outdir, 'main.mjs');
}
