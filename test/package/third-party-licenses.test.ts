// The `flowgate` bin bundles other packages' code; a copy of it must carry their
// license texts (Apache-2.0 and BSD ask for it). dist/ is built by `npm test`.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../support/consumer.js';

const notices = readFileSync(join(repoRoot, 'dist', 'cli', 'THIRD-PARTY-LICENSES.md'), 'utf8');
const bundle = readFileSync(join(repoRoot, 'dist', 'cli', 'main.js'), 'utf8');
const config = readFileSync(join(repoRoot, 'tsup.config.ts'), 'utf8');

/** The section of one package: its heading up to the next package's. */
function section(name: string): string | undefined {
  const start = notices.search(new RegExp(`^## ${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\d`, 'm'));
  if (start === -1) return undefined;
  const next = notices.indexOf('\n## ', start + 1);
  return notices.slice(start, next === -1 ? undefined : next);
}

test('every package the bin bundles by name is listed with its license text', () => {
  const listed = /noExternal: \[([^\]]*)\]/.exec(config)?.[1];
  assert.ok(listed, 'tsup.config.ts names the bundled packages in noExternal');
  const names = [...listed.matchAll(/'([^']+)'/g)].map((match) => match[1] as string);
  assert.ok(names.length >= 7, `noExternal: ${names.join(', ')}`);
  for (const name of names) {
    const text = section(name);
    assert.ok(text, `${name} is bundled into dist/cli/main.js but has no section in THIRD-PARTY-LICENSES.md`);
    assert.match(text, /^### (LICEN[CS]E|COPYING|NOTICE)/im, `${name}'s section carries no license text`);
  }
});

test('what bundled packages import is listed too, also code they compiled in (tslib in @js-sdsl)', () => {
  // protobufjs comes through proto-loader, denque through ioredis, tslib's helpers through grpc-js's @js-sdsl.
  for (const name of ['protobufjs', 'long', 'denque', '@js-sdsl/ordered-map', 'tslib']) {
    assert.ok(section(name), `${name} is in the bin but not in THIRD-PARTY-LICENSES.md`);
  }
  assert.match(bundle, /__extends/, 'the bin still carries tslib-style helpers (else drop tslib from this test)');
});

test('the Apache-2.0 packages carry the license text itself, not only its name', () => {
  for (const name of ['@grpc/grpc-js', 'prom-client']) {
    assert.match(section(name) ?? '', /Apache License\s+Version 2\.0, January 2004/, name);
  }
});

test('the notices ship in the package, next to the bin', () => {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const packed = execFileSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  const files = (JSON.parse(packed) as Array<{ files: Array<{ path: string }> }>)[0]?.files.map((file) => file.path);
  assert.ok(files?.includes('dist/cli/main.js'), 'npm pack ships the bin');
  assert.ok(files?.includes('dist/cli/THIRD-PARTY-LICENSES.md'), 'npm pack ships the bin without its notices');
});
