#!/usr/bin/env node
// Run by tsup after the `flowgate` bin is built. The bin bundles grpc-js,
// proto-loader, yaml, prom-client, ioredis, commander, csv-parse and what they
// import; their licenses (Apache-2.0's among them) ask that a copy of the code
// carry their license texts and notices. This writes them next to the bundle.
// The packages are read from the bundle's source map: its sources are every
// file the bundle took in, and also the files those were compiled from (tslib's
// helpers inside @js-sdsl's build), whose licenses travel with them too.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, normalize } from 'node:path';

const SOURCE_MAP = 'dist/cli/main.js.map';
const OUT = 'dist/cli/THIRD-PARTY-LICENSES.md';
const NOTICE_FILE = /^(licen[cs]e|copying|notice)([.-].*)?$/i;

/** ../../node_modules/a/node_modules/@s/b/lib/x.js → node_modules/a/node_modules/@s/b */
function packageDir(source) {
  const parts = normalize(join('dist/cli', source)).split('/');
  const last = parts.lastIndexOf('node_modules');
  if (last === -1) return undefined;
  const scoped = parts[last + 1]?.startsWith('@');
  return parts.slice(0, last + (scoped ? 3 : 2)).join('/');
}

function describe(dir) {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const files = readdirSync(dir)
    .filter((name) => NOTICE_FILE.test(name))
    .sort();
  const license = typeof manifest.license === 'string' ? manifest.license : manifest.license?.type;
  if (files.length === 0 && !license) {
    throw new Error(`${dir}: bundled into the flowgate bin, but it has no license file and no "license" field`);
  }
  return { name: manifest.name, version: manifest.version, license: license ?? 'see its license text', dir, files };
}

const { sources } = JSON.parse(readFileSync(SOURCE_MAP, 'utf8'));
const dirs = new Set();
for (const source of sources) {
  const dir = packageDir(source);
  if (dir && existsSync(join(dir, 'package.json'))) dirs.add(dir);
}
const packages = [...dirs].map(describe).sort((a, b) => a.name.localeCompare(b.name) || a.dir.localeCompare(b.dir));

const lines = [
  '# Third-party software in the `flowgate` bin',
  '',
  '`dist/cli/main.js` bundles the packages below (so that `flowgate serve` and',
  '`flowgate simulate` need no dependency installed). Each keeps its own license;',
  'their texts and notices follow. The library entry points (`flowgate`,',
  '`flowgate/redis`, …) bundle none of them.',
  '',
  ...packages.map((p) => `- ${p.name} ${p.version} (${p.license})`),
];
for (const p of packages) {
  lines.push('', `## ${p.name} ${p.version}`, '', `License: ${p.license}`);
  if (p.files.length === 0)
    lines.push('', 'The package ships no license file; its package.json names the license above.');
  for (const file of p.files) {
    lines.push('', `### ${file}`, '', '```text', readFileSync(join(p.dir, file), 'utf8').trimEnd(), '```');
  }
}
writeFileSync(OUT, `${lines.join('\n')}\n`);
