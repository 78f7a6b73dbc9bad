// The service on Redis: two processes share every count exactly; a raised
// limit continues the count across a reload; a killed Redis is answered per
// --on-store-error.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type RedisServer, redisCli, startRedis } from '../support/redis-server.js';
import { d, RlsClient } from './support/grpc-client.js';
import { type Service, startService, tempDir, until } from './support/service.js';

const config = fileURLToPath(new URL('./fixtures/scenarios.yaml', import.meta.url));
let redis: RedisServer;

before(async () => {
  redis = await startRedis({ own: true });
});

after(async () => {
  await redis.stop();
});

/** Two services on one Redis and one test clock. */
async function pair(
  configPath: string,
): Promise<{ a: Service; b: Service; ca: RlsClient; cb: RlsClient; stop(): Promise<void> }> {
  const clockFile = join(tempDir('pair'), 'now');
  const a = await startService(['--config', configPath, '--redis', redis.url], { clockFile });
  const b = await startService(['--config', configPath, '--redis', redis.url], { clockFile });
  const ca = new RlsClient(a.grpcPort);
  const cb = new RlsClient(b.grpcPort);
  return {
    a,
    b,
    ca,
    cb,
    async stop() {
      ca.close();
      cb.close();
      assert.deepEqual(await Promise.all([a.stop(), b.stop()]), [0, 0]);
    },
  };
}

test('two service processes on one Redis share limits exactly', async () => {
  const p = await pair(config);
  try {
    // Alternating: 3 per minute in all, whichever process is asked.
    const codes: string[] = [];
    for (let i = 0; i < 6; i++)
      codes.push((await (i % 2 === 0 ? p.ca : p.cb).call('scenarios', [d('per_minute', 'shared')])).overallCode);
    assert.deepEqual(codes, ['OK', 'OK', 'OK', 'OVER_LIMIT', 'OVER_LIMIT', 'OVER_LIMIT']);
    // Concurrent: 40 calls of cost 1 at once through both processes against 10 per minute admit exactly 10.
    const calls = Array.from({ length: 40 }, (_, i) =>
      (i % 2 === 0 ? p.ca : p.cb).call('scenarios', [d('hits', 'hammer')]),
    );
    const admitted = (await Promise.all(calls)).filter((r) => r.overallCode === 'OK').length;
    assert.equal(admitted, 10);
    // #1060 across processes: refused requests leave the broad count unchanged.
    const broad = d('remote_address', '10.1.1.1');
    const login = d('remote_address', '10.1.1.1', 'path', '/login');
    assert.equal((await p.ca.call('scenarios', [broad, login])).overallCode, 'OK');
    const refused = await Promise.all(
      Array.from({ length: 6 }, (_, i) => (i % 2 ? p.ca : p.cb).call('scenarios', [broad, login])),
    );
    assert.ok(refused.every((r) => r.overallCode === 'OVER_LIMIT'));
    assert.equal((await p.cb.call('scenarios', [broad])).statuses[0]?.limitRemaining, 8);
  } finally {
    await p.stop();
  }
});

test('on Redis a raised limit continues the count across a reload', async () => {
  const dir = tempDir('redis-reload');
  const file = join(dir, 'live.yaml');
  const yaml = (rpu: number): string =>
    `domain: live\ndescriptors:\n  - key: user\n    rate_limit: { unit: minute, requests_per_unit: ${rpu} }\n`;
  writeFileSync(file, yaml(1));
  const service = await startService(['--config', file, '--redis', redis.url]);
  const client = new RlsClient(service.grpcPort);
  try {
    assert.equal((await client.call('live', [d('user', 'r')])).overallCode, 'OK');
    writeFileSync(file, yaml(3));
    await service.printed('stdout', (o) => o.includes('configuration reloaded'));
    assert.equal((await client.call('live', [d('user', 'probe')])).statuses[0]?.currentLimit?.requestsPerUnit, 3);
    const codes: string[] = [];
    for (let i = 0; i < 3; i++) codes.push((await client.call('live', [d('user', 'r')])).overallCode);
    assert.deepEqual(codes, ['OK', 'OK', 'OVER_LIMIT']);
  } finally {
    client.close();
    assert.equal(await service.stop(), 0);
  }
});

test('Redis killed: allow admits, deny refuses, error is UNAVAILABLE (gRPC) and 503 (HTTP); store errors counted', async () => {
  const own = await startRedis({ own: true });
  const modes = ['allow', 'deny', 'error'] as const;
  const services = await Promise.all(
    modes.map((mode) => startService(['--config', config, '--redis', own.url, '--on-store-error', mode])),
  );
  const clients = services.map((s) => new RlsClient(s.grpcPort));
  try {
    for (const client of clients)
      assert.equal((await client.call('scenarios', [d('per_minute', 'down')])).overallCode, 'OK');
    await own.stop();
    const [allow, deny, error] = clients as [RlsClient, RlsClient, RlsClient];
    assert.equal((await allow.call('scenarios', [d('per_minute', 'down')])).overallCode, 'OK');
    assert.equal((await deny.call('scenarios', [d('per_minute', 'down')])).overallCode, 'OVER_LIMIT');
    await assert.rejects(error.call('scenarios', [d('per_minute', 'down')]), { code: 14 });
    const body = JSON.stringify({
      domain: 'scenarios',
      descriptors: [{ entries: [{ key: 'per_minute', value: 'down' }] }],
    });
    const http = await fetch(`${(services[2] as Service).url}/json`, { method: 'POST', body });
    assert.equal(http.status, 503);
    assert.equal(http.headers.get('content-type'), 'application/problem+json');
    const metrics = await (await fetch(`${(services[0] as Service).url}/metrics`)).text();
    assert.match(metrics, /^flowgate_serve_store_errors_total\{kind="\w+"\} [1-9]/m);
    // Unmatched descriptors need no store: still answered OK in every mode.
    assert.equal((await error.call('scenarios', [d('nobody', 'x')])).overallCode, 'OK');
  } finally {
    for (const client of clients) client.close();
    assert.deepEqual(await Promise.all(services.map((s) => s.stop())), [0, 0, 0]);
  }
});

test('SIGTERM drains an in-flight gRPC call (held by a paused Redis) before exiting 0', async () => {
  const own = await startRedis({ own: true });
  const service = await startService(['--config', config, '--redis', own.url]);
  const client = new RlsClient(service.grpcPort);
  try {
    // Load the scripts first, so the held call is the decision itself.
    assert.equal((await client.call('scenarios', [d('per_minute', 'drain')])).overallCode, 'OK');
    redisCli(own.port, 'CLIENT', 'PAUSE', '60000', 'WRITE');
    const inFlight = client.call('scenarios', [d('per_minute', 'drain')]);
    await until(() => /blocked_clients:[1-9]/.test(redisCli(own.port, 'INFO', 'clients')));
    const exited = service.stop('SIGTERM');
    await service.printed('stdout', (o) => o.includes('SIGTERM: draining'));
    redisCli(own.port, 'CLIENT', 'UNPAUSE');
    const answer = await inFlight;
    assert.equal(answer.overallCode, 'OK');
    assert.equal(await exited, 0);
  } finally {
    client.close();
    await service.stop();
    await own.stop();
  }
});
