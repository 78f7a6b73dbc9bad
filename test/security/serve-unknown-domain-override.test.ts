/**
 * Attack: Envoy `limit` overrides under domains the configuration does not
 * have. The service honoured an override whatever the request's domain, and
 * counted it in the Prometheus metrics under that domain: a client sending
 * random domains grew /metrics by five series per request, without end (and
 * every scrape with it). Upstream (envoyproxy/ratelimit `GetLimit`) looks
 * the domain up first and applies no limit, override or not, to an unknown
 * one; so does flowgate now.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { d, RlsClient } from '../serve/support/grpc-client.js';
import { type Service, startService } from '../serve/support/service.js';

const config = fileURLToPath(new URL('../serve/fixtures/scenarios.yaml', import.meta.url));
let service: Service;
let client: RlsClient;

before(async () => {
  service = await startService(['--config', config]);
  client = new RlsClient(service.grpcPort);
});

after(async () => {
  client.close();
  assert.equal(await service.stop(), 0);
});

const metrics = async (): Promise<string> => (await fetch(`${service.url}/metrics`)).text();

test('overrides under 200 unknown domains add no metric series and apply no limit', async () => {
  const before = (await metrics()).split('\n').length;
  for (let i = 0; i < 200; i++) {
    const override = { ...d('tenant', 'x'), limit: { requestsPerUnit: 1, unit: 'MINUTE' } };
    const answer = await client.call(`random-${i}`, [override, override]);
    assert.equal(answer.overallCode, 'OK');
    assert.deepEqual(
      answer.statuses.map((s) => [s.code, s.currentLimit]),
      [
        ['OK', null],
        ['OK', null],
      ],
    );
  }
  const text = await metrics();
  assert.doesNotMatch(text, /random-/);
  // Only the request counters and their latency buckets may have gained a series.
  assert.ok(text.split('\n').length - before < 20, `/metrics grew from ${before} to ${text.split('\n').length} lines`);
});

test('an override under a configured domain is still enforced', async () => {
  const override = { ...d('tenant', 'known'), limit: { requestsPerUnit: 1, unit: 'MINUTE' } };
  assert.equal((await client.call('scenarios', [override])).overallCode, 'OK');
  assert.equal((await client.call('scenarios', [override])).overallCode, 'OVER_LIMIT');
});
