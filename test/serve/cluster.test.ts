// Two service processes on one 3-master Redis Cluster share limits exactly,
// also for a request whose descriptors live on different masters.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type RedisCluster, startCluster } from '../support/redis-cluster.js';
import { d, RlsClient } from './support/grpc-client.js';
import { type Service, startService, tempDir } from './support/service.js';

const config = fileURLToPath(new URL('./fixtures/scenarios.yaml', import.meta.url));
let cluster: RedisCluster;
let services: Service[];
let clients: RlsClient[];

before(async () => {
  cluster = await startCluster(3);
  const nodes = cluster.ports.map((port) => `127.0.0.1:${port}`).join(',');
  const clockFile = join(tempDir('cluster'), 'now');
  services = [
    await startService(['--config', config, '--redis-cluster', nodes], { clockFile }),
    await startService(['--config', config, '--redis-cluster', nodes], { clockFile }),
  ];
  clients = services.map((s) => new RlsClient(s.grpcPort));
});

after(async () => {
  for (const client of clients) client.close();
  assert.deepEqual(await Promise.all(services.map((s) => s.stop())), [0, 0]);
  await cluster.stop();
});

test('cluster: two processes, 3 per minute in all, whichever is asked', async () => {
  const codes: string[] = [];
  for (let i = 0; i < 6; i++)
    codes.push((await (clients[i % 2] as RlsClient).call('scenarios', [d('per_minute', 'cluster')])).overallCode);
  assert.deepEqual(codes, ['OK', 'OK', 'OK', 'OVER_LIMIT', 'OVER_LIMIT', 'OVER_LIMIT']);
});

test('cluster: 40 concurrent calls through both processes against 10 per minute admit exactly 10', async () => {
  const calls = Array.from({ length: 40 }, (_, i) =>
    (clients[i % 2] as RlsClient).call('scenarios', [d('hits', 'cluster')]),
  );
  assert.equal((await Promise.all(calls)).filter((r) => r.overallCode === 'OK').length, 10);
});

test('cluster: #1060 with descriptors on different slots, refused requests leave the broad count unchanged', async () => {
  const [a, b] = clients as [RlsClient, RlsClient];
  const broad = d('remote_address', '10.2.2.2');
  const login = d('remote_address', '10.2.2.2', 'path', '/login');
  assert.equal((await a.call('scenarios', [broad, login])).overallCode, 'OK');
  const refused = await Promise.all(
    Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).call('scenarios', [broad, login])),
  );
  assert.ok(refused.every((r) => r.overallCode === 'OVER_LIMIT'));
  assert.equal((await b.call('scenarios', [broad])).statuses[0]?.limitRemaining, 8);
});
