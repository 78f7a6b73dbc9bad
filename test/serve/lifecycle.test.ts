// The process's life: start-up errors, --help, hot reload (valid and
// invalid), and SIGTERM / SIGINT draining an in-flight request.
import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { d, RlsClient } from './support/grpc-client.js';
import { runToExit, startService, tempDir } from './support/service.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const yaml = (rpu: number): string =>
  `domain: live\ndescriptors:\n  - key: user\n    rate_limit: { unit: minute, requests_per_unit: ${rpu} }\n`;

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const match = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
  return match ? Number(match[1]) : Number.NaN;
}

test('--help documents every flag, and marks the test clock as for tests', async () => {
  const { code, stdout } = await runToExit(['serve', '--help']);
  assert.equal(code, 0);
  for (const flag of [
    '--config',
    '--grpc-port',
    '--http-port',
    '--host',
    '--redis ',
    '--redis-cluster',
    '--on-store-error',
  ]) {
    assert.ok(stdout.includes(flag), flag);
  }
  assert.match(stdout, /default: 8081/);
  assert.match(stdout, /default: 8080/);
  assert.match(stdout, /default:\s+"127\.0\.0\.1"/);
  assert.match(stdout, /--test-clock <file> +FOR TESTS ONLY/);
});

test('an invalid configuration at start-up: exit 1 with the file, path, found and valid', async () => {
  const file = join(fixtures, 'invalid', 'bad_unit.yaml');
  const { code, stderr } = await runToExit(['serve', '--config', file, '--grpc-port', '0', '--http-port', '0']);
  assert.equal(code, 1);
  assert.match(stderr, /bad_unit\.yaml: descriptors\[0\]\.rate_limit\.unit: found "minutes"; expected one of second/);
});

test('hot reload: a valid change applies without a restart; an invalid one keeps the running configuration, logs and counts', async () => {
  const dir = tempDir('reload');
  const file = join(dir, 'live.yaml');
  writeFileSync(file, yaml(1));
  const service = await startService(['--config', file]);
  const client = new RlsClient(service.grpcPort);
  try {
    assert.equal((await client.call('live', [d('user', 'a')])).overallCode, 'OK');
    assert.equal((await client.call('live', [d('user', 'a')])).overallCode, 'OVER_LIMIT');
    // Raised to 3: the count continues (on memory as on Redis: test/serve/reload-state.test.ts), so two more.
    writeFileSync(file, yaml(3));
    await service.printed('stdout', (o) => o.includes('configuration reloaded'));
    assert.equal(await metric(service.url, 'flowgate_serve_config_loads_total'), 2);
    assert.match(await (await fetch(`${service.url}/rlconfig`)).text(), /live\.user: unit=MINUTE requests_per_unit=3/);
    const codes: string[] = [];
    for (let i = 0; i < 3; i++) codes.push((await client.call('live', [d('user', 'a')])).overallCode);
    assert.deepEqual(codes, ['OK', 'OK', 'OVER_LIMIT']);
    // Invalid: refused, logged, counted; the limit of 3 stays.
    writeFileSync(file, `${yaml(3).replace('minute', 'fortnight')}`);
    await service.printed('stderr', (e) => e.includes('configuration not reloaded'));
    assert.equal(await metric(service.url, 'flowgate_serve_config_load_errors_total'), 1);
    assert.match(
      service.stderr(),
      /configuration not reloaded, the previous one stays in force: .*live\.yaml: descriptors\[0\]\.rate_limit\.unit: found "fortnight"/,
    );
    assert.equal((await client.call('live', [d('user', 'b')])).statuses[0]?.currentLimit?.requestsPerUnit, 3);
  } finally {
    client.close();
    assert.equal(await service.stop(), 0);
  }
});

test('a watched directory: adding a file adds its domain', async () => {
  const dir = tempDir('reload-dir');
  writeFileSync(join(dir, 'live.yaml'), yaml(1));
  const service = await startService(['--config', dir]);
  const client = new RlsClient(service.grpcPort);
  try {
    assert.equal((await client.call('scenarios', [d('zero', 'z')])).overallCode, 'OK', 'unknown domain: OK');
    copyFileSync(join(fixtures, 'scenarios.yaml'), join(dir, 'scenarios.yaml'));
    await service.printed('stdout', (o) => o.includes('configuration reloaded'));
    assert.equal((await client.call('scenarios', [d('zero', 'z')])).overallCode, 'OVER_LIMIT', 'the new domain');
  } finally {
    client.close();
    assert.equal(await service.stop(), 0);
  }
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal} drains: an in-flight request is answered, new ones are refused, exit 0`, async () => {
    const dir = tempDir('drain');
    writeFileSync(join(dir, 'live.yaml'), yaml(5));
    const service = await startService(['--config', dir]);
    const body = JSON.stringify({ domain: 'live', descriptors: [{ entries: [{ key: 'user', value: 'a' }] }] });
    // Headers and half the body now: the request is in flight until the rest arrives.
    const req = request(`${service.url}/json`, {
      method: 'POST',
      headers: { 'content-length': Buffer.byteLength(body) },
    });
    const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
    });
    req.write(body.slice(0, 10));
    await new Promise((resolve) => req.once('socket', (socket) => socket.once('connect', resolve)));
    // A request on a second connection, answered after the server accepted the first (accepts are in order).
    assert.equal((await fetch(`${service.url}/healthcheck`)).status, 200);
    const exited = service.stop(signal);
    await service.printed('stdout', (o) => o.includes(`${signal}: draining`));
    const client = new RlsClient(service.grpcPort);
    await assert.rejects(client.call('live', [d('user', 'b')]), 'gRPC refuses new calls while draining');
    client.close();
    req.end(body.slice(10));
    const { status, text } = await answered;
    assert.equal(status, 200);
    assert.equal(JSON.parse(text).statuses[0].limitRemaining, 4);
    assert.equal(await exited, 0);
    assert.match(service.stdout(), /stopped/);
  });
}
