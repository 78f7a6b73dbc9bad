// Every ```ts block of README.md compiles with strict TypeScript against the
// package as users install it (`npm pack`, unpacked into a throwaway project),
// and runs: compiled to JavaScript and started with node, with REDIS_URL set to
// a throwaway redis-server. How a block that cannot run as is says so: see
// test/readme/snippets.ts and the README's "Working on flowgate".
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import ts from 'typescript';
import { type ConsumerProject, consumerProject, repoRoot } from '../support/consumer.js';
import { type RedisServer, startRedis } from '../support/redis-server.js';
import type { Answer } from './run-snippet.js';
import { extractSnippets, type Snippet } from './snippets.js';

const README = 'README.md';
const snippets = extractSnippets(readFileSync(join(repoRoot, README), 'utf8'), README);
const name = (snippet: Snippet): string => `readme-L${snippet.line}`;

let project: ConsumerProject;
let redis: RedisServer;
let diagnostics: Map<string, string[]>;

/** Where a diagnostic is, as README.md:line (or the hidden code's place). */
function place(snippet: Snippet, d: ts.Diagnostic): string {
  if (!d.file || d.start === undefined) return README;
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  const source = snippet.lines[line]?.source;
  return source === undefined
    ? `${README}:${snippet.line} (hidden code, line ${line + 1})`
    : `${README}:${source}:${character + 1}`;
}

before(async () => {
  project = consumerProject({ private: true, type: 'module' });
  redis = await startRedis();
  const files = snippets.map((snippet) => {
    const file = join(project.dir, `${name(snippet)}.ts`);
    writeFileSync(file, `${snippet.lines.map((l) => l.text).join('\n')}\n`);
    return file;
  });
  const runner = join(project.dir, 'run-snippet.ts');
  copyFileSync(join(repoRoot, 'test', 'readme', 'run-snippet.ts'), runner);
  const { options, errors } = ts.convertCompilerOptionsFromJson(
    {
      strict: true,
      module: 'nodenext',
      moduleResolution: 'nodenext',
      moduleDetection: 'force', // each block is its own module, imports or not
      target: 'es2022',
      types: ['node'],
      // NestJS's decorators are TypeScript's legacy ones, as every Nest app compiles them.
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      skipLibCheck: true, // test/package/consumer-types.test.ts checks flowgate's declarations
      outDir: join(project.dir, 'out'),
      rootDir: project.dir,
    },
    project.dir,
  );
  assert.deepEqual(errors, []);
  const program = ts.createProgram([...files, runner], options);
  const all = ts.getPreEmitDiagnostics(program);
  program.emit();
  diagnostics = new Map();
  for (const [i, snippet] of snippets.entries()) {
    const mine = all.filter((d) => d.file?.fileName === files[i]);
    diagnostics.set(
      name(snippet),
      mine.map((d) => `${place(snippet, d)}: TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`),
    );
  }
  const rest = all.filter((d) => !files.includes(d.file?.fileName ?? ''));
  assert.deepEqual(
    rest.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')),
    [],
    'run-snippet.ts and the options compile',
  );
});

after(async () => {
  project?.remove();
  await redis?.stop();
});

test('README.md has ts snippets to check', () => {
  assert.ok(snippets.length >= 7, `found ${snippets.length}`);
});

for (const snippet of snippets) {
  const run = !snippet.flags.has('compile-only');
  test(`${README}:${snippet.line} (${snippet.heading}) compiles${run ? ' and runs' : ''}`, () => {
    assert.deepEqual(diagnostics.get(name(snippet)), [], 'compiles with strict TypeScript');
    if (!run) return;
    const out = join(project.dir, 'out');
    const answers = join(out, `${name(snippet)}.answers.json`);
    const env: NodeJS.ProcessEnv = { ...process.env, REDIS_URL: redis.url };
    delete env.NODE_TEST_CONTEXT;
    delete env.NODE_OPTIONS;
    const child = spawnSync(
      process.execPath,
      [join(out, 'run-snippet.js'), join(out, `${name(snippet)}.js`), answers],
      {
        cwd: project.dir,
        env,
        encoding: 'utf8',
        timeout: 60_000, // only against a hang: a snippet's servers are asked once, then the process exits
      },
    );
    assert.equal(child.status, 0, `${README}:${snippet.line} failed when run:\n${child.stdout}${child.stderr}`);
    for (const answer of JSON.parse(readFileSync(answers, 'utf8')) as Answer[]) {
      assert.ok(answer.status < 500, `a server it started answered GET / with ${answer.status}`);
    }
  });
}
