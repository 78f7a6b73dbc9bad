// The HTTP API: POST /json in proto3 JSON, the problem bodies, /healthcheck,
// /rlconfig, and /metrics as promtool and a real Prometheus server read it.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/redis-server.js';
import { type Service, startService, tempDir, until } from './support/service.js';

const config = fileURLToPath(new URL('./fixtures/scenarios.yaml', import.meta.url));
let service: Service;

before(async () => {
  service = await startService(['--config', config]);
});

after(async () => {
  assert.equal(await service.stop(), 0);
});

const post = (body: string) =>
  fetch(`${service.url}/json`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
const perMinute = (value: string, extra: object = {}) =>
  JSON.stringify({ domain: 'scenarios', descriptors: [{ entries: [{ key: 'per_minute', value }], ...extra }] });

test('POST /json: 200 with the response in proto3 JSON, 429 when over the limit', async () => {
  const statuses: number[] = [];
  let last: unknown;
  for (let i = 0; i < 4; i++) {
    const res = await post(perMinute('http'));
    statuses.push(res.status);
    last = await res.json();
  }
  assert.deepEqual(statuses, [200, 200, 200, 429]);
  assert.deepEqual(last, {
    overallCode: 'OVER_LIMIT',
    statuses: [{ code: 'OVER_LIMIT', currentLimit: { unit: 'MINUTE', requestsPerUnit: 3 }, durationUntilReset: '50s' }],
    responseHeadersToAdd: [
      { key: 'RateLimit-Policy', value: '"scenarios.per_minute";q=3;w=60' },
      { key: 'RateLimit', value: '"scenarios.per_minute";r=0;t=50' },
      { key: 'Retry-After', value: '50' },
    ],
  });
});

test('POST /json takes proto field names too, and 64-bit integers as strings', async () => {
  const body = JSON.stringify({
    domain: 'scenarios',
    descriptors: [{ entries: [{ key: 'hits', value: 'snake' }], hits_addend: '6' }],
  });
  const first = (await (await post(body)).json()) as { statuses: { limitRemaining: number }[] };
  assert.equal(first.statuses[0]?.limitRemaining, 4);
  assert.equal((await post(body)).status, 429);
});

test('POST /json: a malformed request is 400 with a problem body naming the field', async () => {
  const cases: [string, RegExp][] = [
    ['{not json', /body: not JSON/],
    [JSON.stringify({ domain: 7, descriptors: [] }), /domain: found 7, expected a string/],
    [perMinute('x', { hitsAddend: -1 }), /descriptors\[0\]\.hitsAddend: found -1, expected a whole number/],
    [JSON.stringify({ domain: 'scenarios', descriptors: [] }), /descriptors: found none/],
    [JSON.stringify({ domain: 'scenarios', descriptors: [{ entries: [] }] }), /descriptors\[0\]\.entries: found none/],
  ];
  for (const [body, detail] of cases) {
    const res = await post(body);
    assert.equal(res.status, 400, body);
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
    const problem = (await res.json()) as { status: number; detail: string };
    assert.equal(problem.status, 400);
    assert.match(problem.detail, detail);
  }
});

test('GET /healthcheck, GET /rlconfig; unknown paths 404, wrong methods 405', async () => {
  const health = await fetch(`${service.url}/healthcheck`);
  assert.equal(health.status, 200);
  assert.equal(await health.text(), 'OK\n');
  const rlconfig = await (await fetch(`${service.url}/rlconfig`)).text();
  assert.match(
    rlconfig,
    /^scenarios\.per_minute: unit=MINUTE requests_per_unit=3, shadow_mode: false, algorithm: fixed-window$/m,
  );
  assert.match(
    rlconfig,
    /^scenarios\.org\.plan_premium: unit=MINUTE requests_per_unit=5, shadow_mode: false, algorithm: fixed-window, replaces: org-default$/m,
  );
  assert.equal((await fetch(`${service.url}/nope`)).status, 404);
  const wrong = await fetch(`${service.url}/json`);
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers.get('allow'), 'POST');
});

test('GET /metrics passes promtool check metrics', async () => {
  await post(perMinute('metrics'));
  const text = await (await fetch(`${service.url}/metrics`)).text();
  for (const name of [
    'flowgate_serve_hits_total',
    'flowgate_serve_over_limit_total',
    'flowgate_serve_near_limit_total',
    'flowgate_serve_shadow_over_limit_total',
    'flowgate_serve_requests_total',
    'flowgate_serve_request_duration_seconds',
    'flowgate_serve_config_loads_total',
    'flowgate_serve_config_load_errors_total',
  ]) {
    assert.match(text, new RegExp(`^# TYPE ${name} (counter|histogram)$`, 'm'), name);
  }
  assert.match(text, /^flowgate_serve_over_limit_total\{domain="scenarios",key="scenarios.per_minute"\} 1$/m);
  const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(lint.status, 0, `${lint.stdout}${lint.stderr}`);
});

test('a real Prometheus server scrapes /metrics and its query API returns the over-limit count', async () => {
  for (let i = 0; i < 7; i++) await post(perMinute('prometheus'));
  // 4 refused here, 1 in the first test: 5 over-limit answers for the rule.
  const dir = tempDir('prometheus');
  const port = await freePort();
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global: { scrape_interval: 1s }\nscrape_configs:\n  - job_name: flowgate\n    static_configs: [{ targets: ['127.0.0.1:${service.httpPort}'] }]\n`,
  );
  const prometheus: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: 'ignore' },
  );
  try {
    const query = encodeURIComponent('flowgate_serve_over_limit_total{key="scenarios.per_minute"}');
    let value = '';
    await until(async () => {
      try {
        const res = (await (await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${query}`)).json()) as {
          data?: { result?: { value?: [number, string] }[] };
        };
        value = res.data?.result?.[0]?.value?.[1] ?? '';
      } catch {
        return false;
      }
      return value !== '';
    });
    assert.equal(value, '5');
  } finally {
    const exited = once(prometheus, 'exit');
    prometheus.kill('SIGTERM');
    await exited;
  }
});
