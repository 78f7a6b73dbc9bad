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
import { test } from 'node:test';
import { d } from '../serve/support/grpc-client.js';
import { serveScenariosForFile } from '../serve/support/scenarios-service.js';

const rls = serveScenariosForFile();

const metrics = async (): Promise<string> => (await fetch(`${rls.service.url}/metrics`)).text();

test('overrides under 200 unknown domains add no metric series and apply no limit', async () => {
  const before = (await metrics()).split('\n').length;
  for (let i = 0; i < 200; i++) {
    const override = { ...d('tenant', 'x'), limit: { requestsPerUnit: 1, unit: 'MINUTE' } };
    const answer = await rls.client.call(`random-${i}`, [override, override]);
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
  assert.equal((await rls.client.call('scenarios', [override])).overallCode, 'OK');
  assert.equal((await rls.client.call('scenarios', [override])).overallCode, 'OVER_LIMIT');
});
