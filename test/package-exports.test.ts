import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

// The built package, imported by name the way users do (Node resolves a
// package's own name through its `exports` map). `npm install` / `npm ci` build
// dist/ through the `prepare` script.
const root = new URL('..', import.meta.url);
const expected: Record<string, string[]> = {
  flowgate: ['RateLimiter', 'MemoryStore', 'fixedWindow', 'slidingLog', 'slidingWindow', 'tokenBucket', 'leakyBucket'],
  'flowgate/redis': ['RedisStore'],
  'flowgate/express': ['rateLimit'],
  'flowgate/fastify': ['rateLimit'],
  'flowgate/hono': ['rateLimit'],
  'flowgate/node': ['rateLimit'],
  'flowgate/otel': ['recordMetrics'],
  'flowgate/prometheus': ['registerMetrics'],
  'flowgate/koa': ['rateLimit'],
  'flowgate/fetch': ['rateLimit'],
  'flowgate/nestjs': [
    'FlowgateModule',
    'FlowgateGuard',
    'RateLimitGuard',
    'FlowgateExceptionFilter',
    'RateLimit',
    'SkipRateLimit',
    'RateLimitDecision',
  ],
};

function run(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
}

test('dist/ is built', () => {
  assert.ok(existsSync(new URL('dist/index.js', root)), 'dist/ is missing: run `npm run build`');
});

for (const [specifier, names] of Object.entries(expected)) {
  test(`${specifier} loads from ESM and from CJS with its exports`, () => {
    const esm = run([
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(specifier)}); console.log(JSON.stringify(Object.keys(m)))`,
    ]);
    const cjs = run(['-e', `console.log(JSON.stringify(Object.keys(require(${JSON.stringify(specifier)}))))`]);
    for (const name of names) {
      assert.ok(JSON.parse(esm).includes(name), `ESM ${specifier} lacks ${name}`);
      assert.ok(JSON.parse(cjs).includes(name), `CJS ${specifier} lacks ${name}`);
    }
  });
}

test('the built package decides like the source', () => {
  const out = run([
    '-e',
    `const { RateLimiter, fixedWindow } = require('flowgate');
     const l = new RateLimiter({ policy: fixedWindow({ limit: 1, window: '1m' }), clock: () => 0 });
     Promise.all([l.limit('k'), l.limit('k')]).then((d) => console.log(d.map((x) => x.allowed).join()));`,
  ]);
  assert.equal(out.trim(), 'true,false');
});

test('the flowgate bin prints its help', () => {
  assert.match(run(['dist/cli/main.js', '--help']), /simulate/);
});

test('no runtime dependency: no built file loads a peer of the exporters (they are imported for types only)', () => {
  const manifest = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as Record<string, unknown>;
  assert.equal(manifest.dependencies, undefined, 'package.json has no dependencies');
  const dist = new URL('dist/', root);
  const built = readdirSync(dist).filter((name) => /\.(c?js)$/.test(name));
  assert.ok(built.includes('otel.js') && built.includes('prometheus.cjs'), built.join());
  for (const name of built) {
    const code = readFileSync(new URL(name, dist), 'utf8');
    assert.doesNotMatch(code, /^\s*(import|export)\b[^;'"]*["'](@opentelemetry\/|prom-client)/m, name);
    assert.doesNotMatch(code, /\b(require|import)\(\s*["'](@opentelemetry\/|prom-client)/, name);
  }
});
