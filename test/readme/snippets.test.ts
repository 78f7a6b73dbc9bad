// The snippet convention of test/readme/snippets.ts, on small Markdown samples.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extractSnippets, type Snippet } from './snippets.js';

const fence = '```';
const md = (...lines: string[]): string => lines.join('\n');
const code = (snippet: Snippet | undefined): string => snippet?.lines.map((l) => l.text).join('\n') ?? '';

test('each ts block is a snippet, with its line and heading; other blocks are not', () => {
  const [a, b, ...rest] = extractSnippets(
    md(
      '## One',
      `${fence}ts`,
      'const a = 1;',
      fence,
      '## Two',
      `${fence}sh`,
      'npm test',
      fence,
      `${fence}typescript`,
      'b();',
      fence,
    ),
  );
  assert.deepEqual(rest, []);
  assert.equal(a?.line, 2);
  assert.equal(a?.heading, 'One');
  assert.deepEqual(a?.lines, [{ text: 'const a = 1;', source: 3 }]);
  assert.equal(b?.heading, 'Two');
  assert.equal(code(b), 'b();');
  assert.deepEqual([...(a?.flags ?? [])], []);
});

test('compile-only and continued', () => {
  const snippets = extractSnippets(
    md(
      `${fence}ts`,
      'const limiter = 1;',
      fence,
      '',
      '<!-- snippet: continued compile-only -->',
      '',
      `${fence}ts`,
      'limiter;',
      fence,
      '<!-- snippet: compile-only -->',
      `${fence}ts`,
      'app.listen();',
      fence,
    ),
  );
  assert.equal(snippets.length, 2);
  assert.equal(code(snippets[0]), 'const limiter = 1;\nlimiter;');
  assert.deepEqual([...(snippets[0]?.flags ?? [])], ['compile-only']);
  assert.deepEqual([...(snippets[1]?.flags ?? [])], ['compile-only']);
});

test('hidden code in the directive goes before the block and maps to no README line', () => {
  const [snippet] = extractSnippets(
    md(
      '<!-- snippet:',
      "import express from 'express';",
      'const app = express();',
      '-->',
      `${fence}ts`,
      'app.use(x);',
      fence,
    ),
  );
  assert.deepEqual(snippet?.lines, [
    { text: "import express from 'express';", source: undefined },
    { text: 'const app = express();', source: undefined },
    { text: 'app.use(x);', source: 6 },
  ]);
  assert.deepEqual([...(snippet?.flags ?? [])], []);
});

test('a directive it does not understand is an error, not a silently skipped block', () => {
  assert.throws(
    () => extractSnippets(md('<!-- snippet: skip -->', `${fence}ts`, 'x', fence)),
    /unknown snippet flag "skip"/,
  );
  assert.throws(
    () => extractSnippets(md('<!-- snippet: compile-only -->', 'text', `${fence}ts`, fence)),
    /followed by/,
  );
  assert.throws(() => extractSnippets(md('<!-- snippet: compile-only -->', `${fence}sh`, fence)), /followed by/);
  assert.throws(() => extractSnippets(md('<!-- snippet: continued -->', `${fence}ts`, fence)), /needs a block before/);
  assert.throws(() => extractSnippets(md('<!-- snippet:', 'const x = 1;', `${fence}ts`, fence)), /closing -->/);
});
