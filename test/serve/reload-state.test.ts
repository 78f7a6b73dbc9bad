// Counts across a reload, on memory exactly as on Redis: a rule the reload
// leaves unchanged keeps every key's count; a rule whose limit is raised or
// lowered continues from its count (its algorithm and unit stay, so its state
// means the same); a rule whose algorithm changes starts afresh (its state
// would mean something else), on both stores alike. The test clock stands
// still: no window rolls over.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type RedisServer, startRedis } from '../support/redis-server.js';
import { d, RlsClient } from './support/grpc-client.js';
import { type Service, startService, tempDir } from './support/service.js';

let redis: RedisServer;

before(async () => {
  redis = await startRedis({ own: true });
});

after(async () => {
  await redis.stop();
});

const yaml = (user: number, algorithm = 'fixed-window'): string =>
  [
    'domain: live',
    'descriptors:',
    `  - key: user`,
    `    rate_limit: { unit: minute, requests_per_unit: ${user}, algorithm: ${algorithm} }`,
    '  - key: org',
    '    rate_limit: { unit: minute, requests_per_unit: 4, algorithm: token-bucket }',
    '',
  ].join('\n');

/** The codes of `times` calls of one descriptor. */
async function codes(client: RlsClient, key: string, value: string, times: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < times; i++) out.push((await client.call('live', [d(key, value)])).overallCode);
  return out;
}

async function reload(service: Service, file: string, text: string, loads: number): Promise<void> {
  writeFileSync(file, text);
  await service.printed('stdout', (o) => o.split('configuration reloaded').length > loads);
}

for (const store of ['memory', 'redis'] as const) {
  test(`${store}: a reload keeps every count; a changed limit continues from its count, a changed algorithm starts afresh`, async () => {
    const dir = tempDir(`reload-state-${store}`);
    const file = join(dir, 'live.yaml');
    writeFileSync(file, yaml(2));
    const service = await startService(['--config', file, ...(store === 'redis' ? ['--redis', redis.url] : [])]);
    const client = new RlsClient(service.grpcPort);
    // Distinct values per store: both services share one Redis (the memory one does not use it).
    const a = `a-${store}`;
    const org = `acme-${store}`;
    try {
      assert.deepEqual(await codes(client, 'user', a, 1), ['OK']);
      assert.deepEqual(await codes(client, 'org', org, 3), ['OK', 'OK', 'OK']);
      // The user rule raised from 2 to 3: one of three spent, two more; the org rule unchanged keeps its 3 of 4.
      await reload(service, file, yaml(3), 1);
      assert.deepEqual(await codes(client, 'user', a, 3), ['OK', 'OK', 'OVER_LIMIT']);
      assert.deepEqual(await codes(client, 'org', org, 2), ['OK', 'OVER_LIMIT']);
      // Lowered to 1: three spent, over at once (and still over when raised back to 3).
      await reload(service, file, yaml(1), 2);
      assert.deepEqual(await codes(client, 'user', a, 1), ['OVER_LIMIT']);
      await reload(service, file, yaml(3), 3);
      assert.deepEqual(await codes(client, 'user', a, 1), ['OVER_LIMIT']);
      // Another algorithm: its state would mean something else, so the count starts afresh on both stores.
      await reload(service, file, yaml(3, 'sliding-window'), 4);
      assert.deepEqual(await codes(client, 'user', a, 4), ['OK', 'OK', 'OK', 'OVER_LIMIT']);
      assert.deepEqual(await codes(client, 'org', org, 1), ['OVER_LIMIT']);
    } finally {
      client.close();
      assert.equal(await service.stop(), 0);
    }
  });
}
