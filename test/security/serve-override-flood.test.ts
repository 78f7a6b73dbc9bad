/**
 * Attack: many distinct Envoy `limit` overrides. A descriptor may carry its
 * own limit (Envoy fills it from route configuration or from request
 * metadata, e.g. a tenant's plan), and the service kept one policy per
 * distinct (domain, unit, requests per unit), capped at 1 000 so that the map
 * cannot grow without end. Past the cap, a new override was not enforced at
 * all: a client that sent 1 024 distinct limits (16 requests) switched off
 * every override first seen after it, for every client, until the next
 * reload. Past the cap an override is now built for its request alone:
 * enforced, at the cost of building it, never of a count.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_DESCRIPTORS } from '../../src/service/decide.js';
import { d } from '../serve/support/grpc-client.js';
import { serveScenariosForFile } from '../serve/support/scenarios-service.js';

const rls = serveScenariosForFile();

test('after 1 024 distinct override limits, a new override of 1 per minute still refuses the second request', async () => {
  for (let r = 0; r < 1024 / MAX_DESCRIPTORS; r++) {
    const descriptors = Array.from({ length: MAX_DESCRIPTORS }, (_, i) => {
      const n = r * MAX_DESCRIPTORS + i;
      return { ...d('flood', String(n)), limit: { requestsPerUnit: 10_000 + n, unit: 'MINUTE' } };
    });
    assert.equal((await rls.client.call('scenarios', descriptors)).overallCode, 'OK');
  }
  const victim = { ...d('tenant', 'acme'), limit: { requestsPerUnit: 1, unit: 'MINUTE' } };
  const first = await rls.client.call('scenarios', [victim]);
  assert.deepEqual([first.overallCode, first.statuses[0]?.limitRemaining], ['OK', 0]);
  const second = await rls.client.call('scenarios', [victim]);
  assert.equal(second.overallCode, 'OVER_LIMIT', 'the override past the cap was not enforced');
});

test('past the cap, one override repeated in a request is one count (its hits add up), as below it', async () => {
  const twice = { ...d('tenant', 'twice'), limit: { requestsPerUnit: 3, unit: 'MINUTE' } };
  const first = await rls.client.call('scenarios', [twice, twice]);
  assert.deepEqual(
    first.statuses.map((s) => [s.code, s.limitRemaining]),
    [
      ['OK', 1],
      ['OK', 1],
    ],
  );
  const second = await rls.client.call('scenarios', [twice, twice]);
  assert.equal(second.overallCode, 'OVER_LIMIT', 'two descriptors on one count each saw it before the other spent');
});
