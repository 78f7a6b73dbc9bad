import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig, loadFile } from '../../src/service/config-files.js';
import { type Entry, matchDescriptor } from '../../src/service/match.js';
import { matchesWildcard } from '../../src/service/wildcard.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** The `# expect: …` first line of a fixture: the message after `<file>: `. */
function expected(file: string): string {
  const first = readFileSync(file, 'utf8').split('\n')[0] ?? '';
  const match = /^# expect: (.*)$/.exec(first);
  assert.ok(match, `${file} starts with # expect:`);
  return match[1] as string;
}

for (const name of readdirSync(join(fixtures, 'invalid'))) {
  test(`invalid configuration ${name} is refused with its file, path, what was found and what is valid`, () => {
    const file = join(fixtures, 'invalid', name);
    assert.throws(
      () => loadConfig(file),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'FG_SERVE_CONFIG_INVALID');
        const text = `${file}: ${expected(file)}`;
        assert.ok(error.message.startsWith(text), `${error.message}\n  does not start with\n${text}`);
        assert.match(error.message, /\[FG_SERVE_CONFIG_INVALID, see docs\/errors\.md#fg_serve_config_invalid\]$/);
        return true;
      },
    );
  });
}

test('a directory with two files for one domain is refused, naming both', () => {
  const dir = join(fixtures, 'duplicate-domain');
  assert.throws(() => loadConfig(dir), {
    message: new RegExp(`^${join(dir, 'b.yml')}: ${expected(join(dir, 'b.yml'))}`.replace(/\./g, '\\.')),
  });
});

test('a path that cannot be read is refused with FG_SERVE_CONFIG_UNREADABLE', () => {
  assert.throws(() => loadConfig('/tmp/serve-no-such-config.yaml'), {
    code: 'FG_SERVE_CONFIG_UNREADABLE',
    message:
      /^\/tmp\/serve-no-such-config\.yaml: found a path that cannot be read \(ENOENT\); expected a readable YAML file or directory/,
  });
});

test('a directory loads every *.yaml and *.yml, one domain each', () => {
  const config = loadConfig(fixtures);
  assert.deepEqual([...config.domains.keys()].sort(), ['algorithms', 'match', 'scenarios']);
});

const domain = loadFile(join(fixtures, 'matching.yaml'));
const e = (...pairs: string[]): Entry[] => {
  const out: Entry[] = [];
  for (let i = 0; i < pairs.length; i += 2) out.push({ key: pairs[i] as string, value: pairs[i + 1] as string });
  return out;
};
const limitOf = (entries: Entry[]) => matchDescriptor(domain, entries)?.rule.limit?.requestsPerUnit;

test('matching: an exact key_value beats the bare key, at every level', () => {
  assert.equal(limitOf(e('tenant', 'acme', 'route', '/login')), 10);
  assert.equal(limitOf(e('tenant', 'acme', 'route', '/home')), 5);
  assert.equal(limitOf(e('user', 'vip')), 30);
  assert.equal(limitOf(e('user', 'u1')), 20);
});

test('matching: a rule without rate_limit, a shorter or longer descriptor, another tenant match nothing', () => {
  assert.equal(matchDescriptor(domain, e('user', 'bot')), undefined);
  assert.equal(matchDescriptor(domain, e('tenant', 'acme')), undefined);
  assert.equal(matchDescriptor(domain, e('user', 'u1', 'route', '/x')), undefined);
  assert.equal(matchDescriptor(domain, e('tenant', 'other', 'route', '/x')), undefined);
  assert.equal(matchDescriptor(domain, e('nobody', 'x')), undefined);
});

test('matching: wildcards as upstream (prefix, middle, several stars)', () => {
  assert.equal(limitOf(e('path', '/api/users')), 7);
  assert.equal(limitOf(e('path', '/api/')), 7);
  assert.equal(limitOf(e('path', '/ap')), undefined);
  assert.equal(limitOf(e('mid', 'barb')), 8);
  assert.equal(limitOf(e('mid', 'bar-xyz-b')), 8);
  assert.equal(limitOf(e('mid', 'bar-xyz')), undefined);
  assert.equal(limitOf(e('multi', 'foo1bar2baz')), 9);
  assert.equal(limitOf(e('multi', 'foobarbaz')), 9);
  assert.equal(limitOf(e('multi', 'foobaz')), undefined);
  assert.equal(matchesWildcard(['ab', 'ba'], 'aba'), false, 'the prefix and suffix do not overlap');
});

test('matching: keys are per value, share_threshold shares one key per wildcard, unlimited matches', () => {
  const a = matchDescriptor(domain, e('path', '/api/a'));
  const b = matchDescriptor(domain, e('path', '/api/b'));
  assert.notEqual(a?.key, b?.key);
  const fa = matchDescriptor(domain, e('path', '/files/a'));
  const fb = matchDescriptor(domain, e('path', '/files/b'));
  assert.equal(fa?.key, fb?.key);
  assert.equal(matchDescriptor(domain, e('unlimited', 'x'))?.rule.limit?.unlimited, true);
});

test('matching: metric names are the rule full key, or the request values with detailed_metric', () => {
  assert.equal(matchDescriptor(domain, e('user', 'u1'))?.metricKey, 'match.user');
  assert.equal(matchDescriptor(domain, e('detailed', 'd7'))?.metricKey, 'match.detailed_d7');
  const rule = matchDescriptor(domain, e('detailed', 'd7'))?.rule;
  assert.equal(rule?.limit?.algorithm, 'token-bucket');
  assert.equal(rule?.limit?.burst, 4);
});

test("the README's configuration example loads", () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const block = /```yaml\n(domain: edge\n[\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block, 'README has a ```yaml block starting with domain: edge');
  const dir = mkdtempSync(join(tmpdir(), 'serve-readme-'));
  writeFileSync(join(dir, 'edge.yaml'), block);
  const edge = loadFile(join(dir, 'edge.yaml'));
  assert.equal(
    matchDescriptor(edge, e('remote_address', '10.0.0.7', 'path', '/login'))?.rule.limit?.algorithm,
    'sliding-window',
  );
  assert.equal(matchDescriptor(edge, e('path', '/api/users'))?.rule.shadowMode, true);
});
