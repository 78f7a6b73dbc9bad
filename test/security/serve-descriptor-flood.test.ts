/**
 * Attack: one `ShouldRateLimit` request with thousands of descriptors. A
 * request's descriptors are one limit set, so 6 000 distinct descriptors made
 * one limiter of 6 000 limits (kept, one per distinct count of descriptors, up
 * to 10 000 of them) and quadratic work to match, merge and validate them:
 * 1.6 s of the event loop for one 360 KB request (every other client waited),
 * and a 1 MB body held about 17 000. The service now refuses a request with
 * more descriptors than it decides at once (64: Envoy sends one per
 * `rate_limits` action), as a malformed one, before any of that work.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_DESCRIPTORS } from '../../src/service/decide.js';
import { d } from '../serve/support/grpc-client.js';
import { serveScenariosForFile } from '../serve/support/scenarios-service.js';

const rls = serveScenariosForFile();

/** `count` descriptors on the per-address rule, each its own address (so each its own limit of the set). */
function addresses(count: number, tag: string) {
  return Array.from({ length: count }, (_, i) => d('remote_address', `${tag}.${i}`));
}

const post = (body: object) =>
  fetch(`${rls.service.url}/json`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });

test('POST /json with 15 000 descriptors is refused as a malformed request (400), naming the cap', async () => {
  const res = await post({ domain: 'scenarios', descriptors: addresses(15_000, 'flood') });
  assert.equal(res.status, 400);
  const problem = (await res.json()) as { detail: string };
  assert.ok(
    problem.detail.startsWith(`descriptors: found 15000, expected at most ${MAX_DESCRIPTORS} descriptors per request`),
    problem.detail,
  );
});

test('gRPC ShouldRateLimit with 15 000 descriptors is INVALID_ARGUMENT', async () => {
  await assert.rejects(rls.client.call('scenarios', addresses(15_000, 'grpc')), (error: { code?: number }) => {
    assert.equal(error.code, 3, 'INVALID_ARGUMENT');
    return true;
  });
});

test(`a request with exactly ${MAX_DESCRIPTORS} descriptors is decided as one set`, async () => {
  const answer = await rls.client.call('scenarios', addresses(MAX_DESCRIPTORS, 'cap'));
  assert.equal(answer.overallCode, 'OK');
  assert.equal(answer.statuses.length, MAX_DESCRIPTORS);
  assert.ok(answer.statuses.every((s) => s.code === 'OK' && s.limitRemaining === 9));
  const over = await post({ domain: 'scenarios', descriptors: addresses(MAX_DESCRIPTORS + 1, 'cap') });
  assert.equal(over.status, 400);
  // The refused request counted nowhere: the same 64 addresses have 8 left each after a second request.
  const again = await rls.client.call('scenarios', addresses(MAX_DESCRIPTORS, 'cap'));
  assert.ok(again.statuses.every((s) => s.code === 'OK' && s.limitRemaining === 8));
});
