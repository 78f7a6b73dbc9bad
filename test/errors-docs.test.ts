// Every error code flowgate can raise has its section in docs/errors.md, which
// the messages link to (`docs/errors.md#fg_…`). The codes are read from the
// source: the members of every `…ErrorCode` union type (ErrorCode,
// SimulateErrorCode, …) and every 'FG_…' string literal, wherever they live.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('..', import.meta.url));
const CODE = /^FG_[A-Z0-9_]+$/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Union members of types named `…ErrorCode`, by type name; and every FG_ literal. */
function codesInSource(): { unions: Map<string, string[]>; literals: Set<string> } {
  const unions = new Map<string, string[]>();
  const literals = new Set<string>();
  for (const file of sourceFiles(join(root, 'src'))) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (ts.isTypeAliasDeclaration(node) && node.name.text.endsWith('ErrorCode')) {
        const members = ts.isUnionTypeNode(node.type) ? node.type.types : [node.type];
        unions.set(
          node.name.text,
          members.flatMap((m) => (ts.isLiteralTypeNode(m) && ts.isStringLiteral(m.literal) ? [m.literal.text] : [])),
        );
      }
      if (ts.isStringLiteralLike(node) && CODE.test(node.text)) literals.add(node.text);
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return { unions, literals };
}

/** GitHub's anchor for a Markdown heading. */
function anchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

const docs = readFileSync(join(root, 'docs', 'errors.md'), 'utf8');
/** Section anchor → its text up to the next heading. */
const sections = new Map(
  docs
    .split(/^## /m)
    .slice(1)
    .map((section) => {
      const [heading = '', ...body] = section.split('\n');
      return [anchor(heading), body.join('\n').trim()] as const;
    }),
);
const { unions, literals } = codesInSource();
const codes = new Set([...[...unions.values()].flat(), ...literals]);

test('the code lists are found in the source', () => {
  const members = [...unions.values()].flat();
  assert.ok(members.length > 30, `…ErrorCode unions: ${[...unions.keys()]}`);
  for (const code of [
    'FG_UNKNOWN_OPTION',
    'FG_REDIS_CLIENT_INVALID',
    'FG_SIM_TRACE_INVALID',
    'FG_SIM_OPTION_INVALID',
  ]) {
    assert.ok(members.includes(code), code);
  }
  for (const [name, members] of unions)
    assert.ok(
      members.every((m) => CODE.test(m)),
      `${name}: ${members}`,
    );
});

test('every error code has its section in docs/errors.md', () => {
  const missing = [...codes].filter((code) => !sections.has(code.toLowerCase())).sort();
  assert.deepEqual(missing, [], `add a "## ${missing[0]?.toLowerCase()}" section (and the others) to docs/errors.md`);
});

test('every section of docs/errors.md explains a code that exists', () => {
  const known = new Set([...codes].map((code) => code.toLowerCase()));
  assert.deepEqual(
    [...sections.keys()].filter((key) => !known.has(key)),
    [],
  );
  for (const [key, body] of sections) assert.ok(body.length > 40, `section ${key} says what the code means`);
});
