// The pure parts of the protocol: the draft-10 headers of several
// descriptors, proto3 JSON in and out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { draftHeaders } from '../../src/service/headers.js';
import { requestFromJson, responseToJson } from '../../src/service/json.js';

test('draft-10 headers: one named item per descriptor, Retry-After from the longest refusing wait', () => {
  const headers = draftHeaders(
    [
      { name: 'per-ip', quota: 60, windowMs: 60_000, remaining: 12, resetMs: 30_500, allowed: true },
      { name: 'login "x"\u00e9', quota: 5, windowMs: 1_000, remaining: 0, resetMs: 700, allowed: false },
    ],
    true,
  );
  assert.deepEqual(headers, [
    { key: 'RateLimit-Policy', value: '"per-ip";q=60;w=60, "login \\"x\\"?";q=5;w=1' },
    { key: 'RateLimit', value: '"per-ip";r=12;t=31, "login \\"x\\"?";r=0;t=1' },
    { key: 'Retry-After', value: '1' },
  ]);
  assert.deepEqual(draftHeaders([], false), []);
});

test('proto3 JSON in: lowerCamel or proto names, wrappers as numbers or strings, enums by name or number', () => {
  const request = requestFromJson({
    domain: 'edge',
    hits_addend: 2,
    descriptors: [
      { entries: [{ key: 'a', value: 'b' }], hitsAddend: '3', limit: { requests_per_unit: 9, unit: 'HOUR' } },
      { entries: [{ key: 'c' }], limit: { requestsPerUnit: 1, unit: 2 } },
    ],
  });
  assert.deepEqual(request, {
    domain: 'edge',
    hitsAddend: 2,
    descriptors: [
      { entries: [{ key: 'a', value: 'b' }], hitsAddend: 3, limit: { requestsPerUnit: 9, unit: 'hour' } },
      { entries: [{ key: 'c', value: '' }], hitsAddend: undefined, limit: { requestsPerUnit: 1, unit: 'minute' } },
    ],
  });
  assert.throws(() => requestFromJson([]), /body: expected a RateLimitRequest/);
  assert.throws(
    () => requestFromJson({ domain: 'x', descriptors: [{ entries: [], limit: { unit: 'WEEK' } }] }),
    /limit\.unit: found "WEEK"/,
  );
  assert.throws(() => requestFromJson({ domain: 'x', hitsAddend: 1.5 }), /hitsAddend: found 1\.5/);
});

test('proto3 JSON out: defaults left out, Durations as seconds with a fraction', () => {
  assert.deepEqual(
    responseToJson({
      overallCode: 'OK',
      statuses: [
        { code: 'OK', limitRemaining: 0 },
        {
          code: 'OK',
          currentLimit: { name: 'n', requestsPerUnit: 3, unit: 'week' },
          limitRemaining: 2,
          durationUntilResetMs: 1_050,
        },
      ],
      responseHeadersToAdd: [],
    }),
    {
      overallCode: 'OK',
      statuses: [
        { code: 'OK' },
        {
          code: 'OK',
          currentLimit: { name: 'n', requestsPerUnit: 3, unit: 'WEEK' },
          limitRemaining: 2,
          durationUntilReset: '1.050s',
        },
      ],
    },
  );
});
