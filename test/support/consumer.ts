/**
 * A throwaway project that depends on flowgate the way users do: the package
 * exactly as `npm pack` would publish it (the `files` of package.json, the
 * built dist/), unpacked into its node_modules/flowgate, beside links to this
 * checkout's other packages (express, ioredis, @types/node, …).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface ConsumerProject {
  /** The project directory, with a package.json of `packageJson`. */
  readonly dir: string;
  /** node_modules/flowgate inside it. */
  readonly packageDir: string;
  remove(): void;
}

export function consumerProject(packageJson: object = { private: true }): ConsumerProject {
  if (!existsSync(join(repoRoot, 'dist', 'index.d.ts'))) {
    throw new Error('dist/ is missing: run `npm run build` (npm test builds it)');
  }
  const dir = mkdtempSync(join(tmpdir(), 'flowgate-consumer-'));
  const modules = join(dir, 'node_modules');
  const packageDir = join(modules, 'flowgate');
  mkdirSync(packageDir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify(packageJson));
  // --ignore-scripts: `prepare` would rebuild dist/ under the feet of tests that read it.
  const [packed] = JSON.parse(
    execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  ) as { filename: string }[];
  if (!packed) throw new Error('npm pack packed nothing');
  execFileSync('tar', ['-xzf', join(dir, packed.filename), '-C', packageDir, '--strip-components=1']);
  for (const name of readdirSync(join(repoRoot, 'node_modules'))) {
    if (name === '.bin' || name.startsWith('.package-lock') || name === 'flowgate') continue;
    symlinkSync(join(repoRoot, 'node_modules', name), join(modules, name));
  }
  return { dir, packageDir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
