// On Redis a request is one script call, whatever its descriptors' hits_addend:
// counted by the server itself (INFO commandstats), for upstream's hits_addend
// scenario, a request whose descriptors carry different hits_addend, and a
// refused request (which gives nothing back, since it spent nothing). And since
// nothing is ever reserved then released, a request that fits is never refused
// because doomed requests on the same descriptor arrive with it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type RedisServer, redisCli, startRedis } from '../support/redis-server.js';
import { d, RlsClient } from './support/grpc-client.js';
import { type Service, startService } from './support/service.js';

const config = fileURLToPath(new URL('./fixtures/scenarios.yaml', import.meta.url));
let redis: RedisServer;
let service: Service;
let client: RlsClient;

before(async () => {
  redis = await startRedis({ own: true });
  service = await startService(['--config', config, '--redis', redis.url]);
  client = new RlsClient(service.grpcPort);
  // The first call loads the script (NOSCRIPT, then EVAL): not what is counted below.
  await client.call('scenarios', [d('per_minute', 'warm-up')]);
});

after(async () => {
  client.close();
  assert.equal(await service.stop(), 0);
  await redis.stop();
});

/**
 * Script calls Redis ran since the last reset (INFO commandstats `calls` of
 * FCALL, or EVALSHA and EVAL where Functions are refused: every decision, refund or reset of the store is one),
 * then resets. (The commands a script runs are counted too, under their own
 * names: not calls of the service.)
 */
function scriptCallsSinceReset(): Record<string, number> {
  const info = redisCli(redis.port, 'INFO', 'commandstats');
  redisCli(redis.port, 'CONFIG', 'RESETSTAT');
  const calls: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_(eval|evalsha|evalsha_ro|eval_ro|fcall):calls=(\d+)/gm)) {
    calls[match[1] as string] = Number(match[2]);
  }
  return calls;
}

test('upstream hits_addend 5 against 10, a mixed-addend request and a refused one: one script call each', async () => {
  scriptCallsSinceReset();
  const codes: string[] = [];
  for (let i = 0; i < 3; i++) {
    codes.push((await client.call('scenarios', [{ ...d('hits', 'one-call'), hitsAddend: { value: 5 } }])).overallCode);
    assert.deepEqual(scriptCallsSinceReset(), { fcall: 1 }, `call ${i + 1}`);
  }
  assert.deepEqual(codes, ['OK', 'OK', 'OVER_LIMIT']);
  // Two descriptors, two rules, hits_addend 4 and 1 (and a third rule at the request's default of 1).
  const mixed = await client.call('scenarios', [
    { ...d('hits', 'mixed'), hitsAddend: { value: 4 } },
    { ...d('per_minute', 'mixed'), hitsAddend: { value: 1 } },
    d('remote_address', '10.9.9.9'),
  ]);
  assert.equal(mixed.overallCode, 'OK');
  assert.deepEqual(
    mixed.statuses.map((s) => s.limitRemaining),
    [6, 2, 9],
  );
  assert.deepEqual(scriptCallsSinceReset(), { fcall: 1 });
  // Refused by its second descriptor: still one call, and nothing spent in the first (no refund to send).
  const refused = await client.call('scenarios', [
    { ...d('hits', 'mixed'), hitsAddend: { value: 2 } },
    { ...d('per_minute', 'mixed'), hitsAddend: { value: 3 } },
  ]);
  assert.equal(refused.overallCode, 'OVER_LIMIT');
  assert.deepEqual(
    refused.statuses.map((s) => [s.code, s.limitRemaining]),
    [
      ['OK', 6],
      ['OVER_LIMIT', 2],
    ],
  );
  assert.deepEqual(scriptCallsSinceReset(), { fcall: 1 });
});

test('a request that fits is never refused by doomed requests sent with it (nothing is reserved, then released)', async () => {
  for (let round = 0; round < 5; round++) {
    const address = `10.1.0.${round}`;
    const broad = d('remote_address', address);
    const login = d('remote_address', address, 'path', '/login');
    // The broad limit (10) down to 1 left; the login limit (1) spent: every [broad, login] request is doomed.
    assert.equal((await client.call('scenarios', [{ ...broad, hitsAddend: { value: 9 } }])).overallCode, 'OK');
    assert.equal((await client.call('scenarios', [login])).overallCode, 'OK');
    const doomed = () => client.call('scenarios', [broad, login]);
    const answers = await Promise.all([
      ...Array.from({ length: 20 }, doomed),
      client.call('scenarios', [broad]),
      ...Array.from({ length: 20 }, doomed),
    ]);
    const lone = answers[20];
    assert.equal(
      lone?.overallCode,
      'OK',
      `round ${round}: the last unit of the broad limit went to the request that fits`,
    );
    for (const [i, answer] of answers.entries()) {
      if (i !== 20)
        assert.deepEqual(
          answer.statuses.map((s) => s.code),
          ['OK', 'OVER_LIMIT'],
          `doomed request ${i}`,
        );
    }
    assert.equal((await client.call('scenarios', [broad])).overallCode, 'OVER_LIMIT', 'and the broad limit is full');
  }
});

test('a request that a requests_per_unit: 0 descriptor refuses spends nothing in its other descriptors, in one call', async () => {
  scriptCallsSinceReset();
  const refused = await client.call('scenarios', [
    d('zero', 'z'),
    { ...d('per_minute', 'zero-too'), hitsAddend: { value: 2 } },
  ]);
  assert.equal(refused.overallCode, 'OVER_LIMIT');
  // The other descriptor is only looked at: its count as it stands (3 of 3 left), within its limit.
  assert.deepEqual(
    refused.statuses.map((s) => [s.code, s.limitRemaining]),
    [
      ['OVER_LIMIT', 0],
      ['OK', 3],
    ],
  );
  assert.deepEqual(scriptCallsSinceReset(), { fcall: 1 });
  const alone = await client.call('scenarios', [d('per_minute', 'zero-too')]);
  assert.equal(alone.statuses[0]?.limitRemaining, 2, 'nothing was spent');
});
