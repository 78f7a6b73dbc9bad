// A TypeScript project that installs flowgate imports every subpath of its
// `exports` with types, whatever its module resolution: `node` (node10,
// TypeScript's default with `module: commonjs`) reads `typesVersions`, which
// must therefore list every subpath; node16 and bundler read `exports`.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import ts from 'typescript';
import { type ConsumerProject, consumerProject, repoRoot } from '../support/consumer.js';

interface Conditions {
  readonly import: { readonly types: string };
  readonly require: { readonly types: string };
}
interface PackageJson {
  readonly types: string;
  readonly exports: Record<string, Conditions | string>;
  readonly typesVersions?: Record<string, Record<string, string[]>>;
}

const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as PackageJson;
/** `flowgate/redis`, `flowgate/express`, …: every subpath export but package.json. */
const subpaths = Object.keys(manifest.exports)
  .filter((key) => key !== '.' && key !== './package.json')
  .map((key) => key.slice(2));

test('typesVersions maps every subpath of exports to the types its import condition names', () => {
  assert.ok(subpaths.length >= 5, `subpaths found in exports: ${subpaths.join(', ')}`);
  const expected: Record<string, string[]> = {};
  for (const subpath of subpaths) {
    const conditions = manifest.exports[`./${subpath}`] as Conditions;
    expected[subpath] = [conditions.import.types];
  }
  // Only '*' and only the subpaths: a `'*': ['dist/*']` catch-all would also remap the root's `types`.
  assert.deepEqual(
    manifest.typesVersions,
    { '*': expected },
    'package.json typesVersions["*"] must map each subpath of exports to its import types',
  );
  assert.equal((manifest.exports['.'] as Conditions).import.types, manifest.types);
});

// Every subpath by name (so a new one is covered), and types that cross subpaths:
// a RateLimiter from `flowgate` is the one `flowgate/express` accepts.
const consumer = [
  ...subpaths.map((subpath, i) => `import * as subpath${i} from 'flowgate/${subpath}';`),
  `import { RateLimiter, tokenBucket, type Decision } from 'flowgate';`,
  `import { rateLimit } from 'flowgate/express';`,
  `import { RedisStore } from 'flowgate/redis';`,
  `const limiter = new RateLimiter({ policy: tokenBucket({ capacity: 10, refillPerSecond: 1 }) });`,
  `export const middleware = rateLimit({ limiter });`,
  `export const store: typeof RedisStore = RedisStore;`,
  `export const retry = (d: Decision): number => d.retryAfterMs;`,
  `export const modules: object[] = [${subpaths.map((_, i) => `subpath${i}`).join(', ')}];`,
].join('\n');

interface Setup {
  readonly name: string;
  readonly options: Record<string, unknown>;
  /** File name → the declaration extension its imports of flowgate must resolve to. */
  readonly files: Record<string, '.d.ts' | '.d.cts'>;
}

const SETUPS: Setup[] = [
  {
    name: 'module: commonjs, moduleResolution: node (node10)',
    options: { module: 'commonjs', moduleResolution: 'node', esModuleInterop: true },
    files: { 'consumer.ts': '.d.ts' },
  },
  {
    name: 'module: node16 (a CommonJS and an ES module)',
    options: { module: 'node16', moduleResolution: 'node16' },
    files: { 'consumer.cts': '.d.cts', 'consumer.mts': '.d.ts' },
  },
  {
    name: 'module: esnext, moduleResolution: bundler',
    options: { module: 'esnext', moduleResolution: 'bundler' },
    files: { 'consumer.ts': '.d.ts' },
  },
];

let project: ConsumerProject;
before(() => {
  project = consumerProject();
});
after(() => project?.remove());

for (const setup of SETUPS) {
  test(`a consumer with ${setup.name} gets the types of every subpath`, () => {
    const { options, errors } = ts.convertCompilerOptionsFromJson(
      { strict: true, noEmit: true, target: 'es2022', types: ['node'], ...setup.options },
      project.dir,
    );
    assert.deepEqual(errors, []);
    const files = Object.keys(setup.files).map((name) => join(project.dir, name));
    for (const file of files) writeFileSync(file, consumer);
    const program = ts.createProgram(files, options);
    // The consumer's files and flowgate's own declaration files; not the other
    // packages' (as skipLibCheck would, but checking flowgate's .d.ts and .d.cts).
    const checked = program
      .getSourceFiles()
      .filter((f) => files.includes(f.fileName) || !relative(project.packageDir, f.fileName).startsWith('..'));
    assert.ok(checked.length > files.length, 'flowgate declaration files were loaded');
    const diagnostics = [
      ...program.getOptionsDiagnostics(),
      ...program.getGlobalDiagnostics(),
      ...checked.flatMap((f) => [...program.getSyntacticDiagnostics(f), ...program.getSemanticDiagnostics(f)]),
    ].map((d) => {
      const where = d.file ? `${relative(project.dir, d.file.fileName)}: ` : '';
      return where + ts.flattenDiagnosticMessageText(d.messageText, '\n');
    });
    // The NestJS devDependency (Nest 12) ships ES modules only, so a CommonJS consumer cannot
    // load its types; CommonJS Nest apps run Nest 10 or 11, which are CommonJS.
    const nestEsmOnly =
      /^node_modules\/flowgate\/dist\/nestjs\.d\.cts: The current file is a CommonJS module .*@nestjs\//;
    assert.deepEqual(
      diagnostics.filter((d) => !nestEsmOnly.test(d)),
      [],
    );
    for (const [name, extension] of Object.entries(setup.files)) {
      const source = program.getSourceFile(join(project.dir, name));
      assert.ok(source);
      const imports = source.statements.filter(ts.isImportDeclaration);
      assert.equal(imports.length, subpaths.length + 3);
      for (const { moduleSpecifier } of imports) {
        assert.ok(ts.isStringLiteral(moduleSpecifier));
        const mode = ts.getModeForUsageLocation(source, moduleSpecifier, options);
        const resolved = ts.resolveModuleName(
          moduleSpecifier.text,
          source.fileName,
          options,
          ts.sys,
          undefined,
          undefined,
          mode,
        ).resolvedModule;
        const file = resolved && relative(project.packageDir, resolved.resolvedFileName);
        const where = `${name}: ${moduleSpecifier.text} resolved to ${file}`;
        assert.ok(file?.startsWith('dist/') && file.endsWith(extension), where);
      }
    }
  });
}
