// Upstream's scenarios again, through a client that shares no code with the
// service: protoc --encode, curl --http2-prior-knowledge, protoc --decode.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { callWithCurl, summary, textRequest } from './support/protoc-curl.js';
import { type Service, startService } from './support/service.js';

const config = fileURLToPath(new URL('./fixtures/scenarios.yaml', import.meta.url));
let service: Service;

before(async () => {
  service = await startService(['--config', config]);
});

after(async () => {
  assert.equal(await service.stop(), 0);
});

function call(descriptors: { entries: [string, string][]; hits?: number }[], hits = 0) {
  const reply = callWithCurl(service.grpcPort, textRequest('scenarios', descriptors, hits));
  assert.equal(reply.grpcStatus, 0, reply.text);
  return summary(reply.text);
}

test('independent client: 3 per minute, the 4th is OVER_LIMIT', () => {
  const replies = [1, 2, 3, 4].map(() => call([{ entries: [['per_minute', 'curl']] }]));
  assert.deepEqual(
    replies.map((r) => r.overall),
    ['OK', 'OK', 'OK', 'OVER_LIMIT'],
  );
  assert.deepEqual(
    replies.map((r) => r.statuses[0]?.remaining),
    [2, 1, 0, 0],
  );
  assert.equal(replies[3]?.statuses[0]?.limit, 3);
});

test('independent client: a shadow rule admits 5 of 5', () => {
  for (let i = 0; i < 5; i++) assert.equal(call([{ entries: [['shadow', 'curl']] }]).overall, 'OK');
});

test('independent client: replaces', () => {
  const both = [
    { entries: [['org', 'curl']] as [string, string][] },
    {
      entries: [
        ['org', 'curl'],
        ['plan', 'premium'],
      ] as [string, string][],
    },
  ];
  const codes = [1, 2, 3, 4, 5, 6].map(() => call(both).overall);
  assert.deepEqual(codes, ['OK', 'OK', 'OK', 'OK', 'OK', 'OVER_LIMIT']);
  assert.deepEqual(
    [1, 2, 3].map(() => call([both[0] as { entries: [string, string][] }]).overall),
    ['OK', 'OK', 'OVER_LIMIT'],
  );
});

test('independent client: unlimited and requests_per_unit 0', () => {
  const r = call([{ entries: [['unlimited', 'curl']] }]);
  assert.equal(r.overall, 'OK');
  assert.equal(r.statuses[0]?.remaining, 2 ** 32 - 1);
  assert.equal(call([{ entries: [['zero', 'curl']] }]).overall, 'OVER_LIMIT');
});

test('independent client: hits_addend 5 against 10, the 3rd call is over (per descriptor and per request)', () => {
  assert.deepEqual(
    [1, 2, 3].map(() => call([{ entries: [['hits', 'curl-d']], hits: 5 }]).overall),
    ['OK', 'OK', 'OVER_LIMIT'],
  );
  assert.deepEqual(
    [1, 2, 3].map(() => call([{ entries: [['hits', 'curl-r']] }], 5).overall),
    ['OK', 'OK', 'OVER_LIMIT'],
  );
});

test('independent client: #1060, the broad count is unchanged by refused requests', () => {
  const broad: [string, string][] = [['remote_address', '10.9.9.9']];
  const login: [string, string][] = [...broad, ['path', '/login']];
  assert.equal(call([{ entries: broad }, { entries: login }]).statuses[0]?.remaining, 9);
  for (let i = 0; i < 3; i++) {
    const r = call([{ entries: broad }, { entries: login }]);
    assert.equal(r.overall, 'OVER_LIMIT');
    assert.equal(r.statuses[0]?.remaining, 9);
  }
  assert.equal(call([{ entries: broad }]).statuses[0]?.remaining, 8);
});

test('independent client: an empty domain is gRPC status 3 (INVALID_ARGUMENT)', () => {
  const reply = callWithCurl(service.grpcPort, textRequest('', [{ entries: [['per_minute', 'x']] }]));
  assert.equal(reply.grpcStatus, 3);
});
