// Upstream's own scenarios, replayed against the real process through a
// @grpc/grpc-js client. The test clock stands still: no window rolls over.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { d } from './support/grpc-client.js';
import { serveScenariosForFile } from './support/scenarios-service.js';

const rls = serveScenariosForFile();

test('3 per minute: the 4th call is OVER_LIMIT, with the limit, the remaining count and the time to reset', async () => {
  const codes: string[] = [];
  const remaining: number[] = [];
  for (let i = 0; i < 4; i++) {
    const r = await rls.client.call('scenarios', [d('per_minute', 'a')]);
    codes.push(r.overallCode);
    remaining.push(r.statuses[0]?.limitRemaining ?? -1);
  }
  assert.deepEqual(codes, ['OK', 'OK', 'OK', 'OVER_LIMIT']);
  assert.deepEqual(remaining, [2, 1, 0, 0]);
  const last = await rls.client.call('scenarios', [d('per_minute', 'a')]);
  assert.deepEqual(last.statuses[0]?.currentLimit, { name: '', requestsPerUnit: 3, unit: 'MINUTE' });
  // The clock is 10 s into its minute: 50 s until the window resets.
  assert.deepEqual(last.statuses[0]?.durationUntilReset, { seconds: 50, nanos: 0 });
  const headers = Object.fromEntries(last.responseHeadersToAdd.map((h) => [h.key, h.value]));
  assert.deepEqual(headers, {
    'RateLimit-Policy': '"scenarios.per_minute";q=3;w=60',
    RateLimit: '"scenarios.per_minute";r=0;t=50',
    'Retry-After': '50',
  });
  // Another value of the key has its own count.
  assert.equal((await rls.client.call('scenarios', [d('per_minute', 'b')])).overallCode, 'OK');
});

test('a shadow_mode rule admits 5 of 5 over its limit of 1, and counts them in the shadow metric', async () => {
  for (let i = 0; i < 5; i++) {
    const r = await rls.client.call('scenarios', [d('shadow', 's')]);
    assert.equal(r.overallCode, 'OK');
    assert.equal(r.statuses[0]?.code, 'OK');
  }
  const metrics = await (await fetch(`${rls.service.url}/metrics`)).text();
  assert.match(metrics, /^flowgate_serve_shadow_over_limit_total\{domain="scenarios",key="scenarios.shadow"\} 4$/m);
});

test('replaces: with the premium plan in the request, the organisation default is replaced; without it, it applies', async () => {
  const codes: string[] = [];
  for (let i = 0; i < 6; i++) {
    const r = await rls.client.call('scenarios', [d('org', 'acme'), d('org', 'acme', 'plan', 'premium')]);
    codes.push(r.overallCode);
    // The replaced descriptor is OK and carries no limit.
    assert.equal(r.statuses[0]?.code, 'OK');
    assert.equal(r.statuses[0]?.currentLimit, null);
    assert.equal(r.statuses[1]?.currentLimit?.requestsPerUnit, 5);
  }
  assert.deepEqual(codes, ['OK', 'OK', 'OK', 'OK', 'OK', 'OVER_LIMIT']);
  const alone: string[] = [];
  for (let i = 0; i < 3; i++) alone.push((await rls.client.call('scenarios', [d('org', 'acme')])).overallCode);
  assert.deepEqual(alone, ['OK', 'OK', 'OVER_LIMIT']);
});

test('unlimited, unmatched and unknown-domain descriptors are OK; requests_per_unit 0 denies every request', async () => {
  for (let i = 0; i < 3; i++) {
    const r = await rls.client.call('scenarios', [d('unlimited', 'u'), d('nobody', 'x')]);
    assert.equal(r.overallCode, 'OK');
    assert.equal(r.statuses[0]?.limitRemaining, 2 ** 32 - 1);
    assert.equal(r.statuses[1]?.currentLimit, null);
  }
  assert.equal((await rls.client.call('no-such-domain', [d('per_minute', 'a')])).overallCode, 'OK');
  const zero = await rls.client.call('scenarios', [d('zero', 'z')]);
  assert.equal(zero.overallCode, 'OVER_LIMIT');
  assert.equal(zero.statuses[0]?.currentLimit?.requestsPerUnit, 0);
});

test('hits_addend 5 against a limit of 10: the 3rd call is over (per descriptor and per request)', async () => {
  const codes: string[] = [];
  for (let i = 0; i < 3; i++) {
    codes.push(
      (await rls.client.call('scenarios', [{ ...d('hits', 'per-descriptor'), hitsAddend: { value: 5 } }])).overallCode,
    );
  }
  assert.deepEqual(codes, ['OK', 'OK', 'OVER_LIMIT']);
  const requestLevel: string[] = [];
  for (let i = 0; i < 3; i++)
    requestLevel.push((await rls.client.call('scenarios', [d('hits', 'per-request')], 5)).overallCode);
  assert.deepEqual(requestLevel, ['OK', 'OK', 'OVER_LIMIT']);
});

test('#1060: a request whose specific descriptor is over leaves the broad descriptor count unchanged', async () => {
  const broad = d('remote_address', '10.0.0.1');
  const login = d('remote_address', '10.0.0.1', 'path', '/login');
  const first = await rls.client.call('scenarios', [broad, login]);
  assert.equal(first.overallCode, 'OK');
  assert.equal(first.statuses[0]?.limitRemaining, 9);
  for (let i = 0; i < 3; i++) {
    const refused = await rls.client.call('scenarios', [broad, login]);
    assert.equal(refused.overallCode, 'OVER_LIMIT');
    assert.deepEqual(
      refused.statuses.map((s) => s.code),
      ['OK', 'OVER_LIMIT'],
    );
    // The broad limit reports its unchanged state: 9, not 8, 7, 6.
    assert.equal(refused.statuses[0]?.limitRemaining, 9);
  }
  const alone = await rls.client.call('scenarios', [broad]);
  assert.equal(alone.statuses[0]?.limitRemaining, 8);
});

test("Envoy's per-descriptor limit override: 2 per minute on a descriptor no rule matches", async () => {
  const codes: string[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await rls.client.call('scenarios', [
      { ...d('anything', 'o'), limit: { requestsPerUnit: 2, unit: 'MINUTE' } },
    ]);
    codes.push(r.overallCode);
    assert.equal(r.statuses[0]?.currentLimit?.requestsPerUnit, 2);
  }
  assert.deepEqual(codes, ['OK', 'OK', 'OVER_LIMIT']);
  // A hits_addend above the override's limit can never be admitted: over, not an error.
  const big = await rls.client.call('scenarios', [
    { ...d('anything', 'p'), limit: { requestsPerUnit: 2, unit: 'MINUTE' }, hitsAddend: { value: 3 } },
  ]);
  assert.equal(big.overallCode, 'OVER_LIMIT');
  const rule = await rls.client.call('scenarios', [{ ...d('per_minute', 'big'), hitsAddend: { value: 4 } }]);
  assert.equal(rule.overallCode, 'OVER_LIMIT');
  assert.equal(
    (await rls.client.call('scenarios', [d('per_minute', 'big')])).statuses[0]?.limitRemaining,
    2,
    'and it spent nothing',
  );
});

test('a malformed request is INVALID_ARGUMENT: no domain, no descriptors, an empty key', async () => {
  await assert.rejects(rls.client.call('', [d('per_minute', 'a')]), { code: 3, details: /domain: found ""/ });
  await assert.rejects(rls.client.call('scenarios', []), { code: 3, details: /descriptors: found none/ });
  await assert.rejects(rls.client.call('scenarios', [d('', 'a')]), { code: 3, details: /entries\[0\]\.key/ });
});
