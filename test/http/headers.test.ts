import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseList, Token } from 'structured-headers';
import { planHeaders, rateLimitValue, writeHeaders } from '../../src/http/headers.js';
import { problemDetails, QUOTA_EXCEEDED_TYPE } from '../../src/http/problem.js';
import { type Decision, fixedWindow, leakyBucket } from '../../src/index.js';

const admitted: Decision = {
  allowed: true,
  limit: 100,
  remaining: 42,
  resetMs: 16_001,
  retryAfterMs: 0,
  delayMs: 0,
  degraded: false,
  atMs: 0,
  spent: 1,
};
const denied: Decision = { ...admitted, allowed: false, remaining: 0, retryAfterMs: 2_500 };

function headersOf(decision: Decision, mode: 'draft-10' | 'legacy' | 'both' | false, nowMs = 0, lower = false) {
  const plan = planHeaders(fixedWindow({ limit: 100, window: '1m' }), mode, 'default', lower);
  const out: Record<string, string> = {};
  writeHeaders(
    plan,
    decision,
    out,
    (o, name, value) => {
      o[name] = value;
    },
    nowMs,
  );
  return out;
}

test('lowercase names (Fastify, Express, Koa, node) carry the same values under the lowercased names', () => {
  for (const decision of [admitted, denied]) {
    const as = headersOf(decision, 'both', 1_700_000_000_000);
    const lower = headersOf(decision, 'both', 1_700_000_000_000, true);
    const expected = Object.fromEntries(Object.entries(as).map(([name, value]) => [name.toLowerCase(), value]));
    assert.deepEqual(lower, expected);
    assert.ok(Object.keys(as).includes('RateLimit-Policy'));
  }
});

test('RateLimit-Policy and RateLimit parse as Structured Field Lists of named policies', () => {
  const h = headersOf(admitted, 'draft-10');
  const [policy] = parseList(h['RateLimit-Policy'] as string);
  assert.deepEqual(policy, [
    'default',
    new Map([
      ['q', 100],
      ['w', 60],
    ]),
  ]);
  const [limit] = parseList(h.RateLimit as string);
  assert.deepEqual(limit, [
    'default',
    new Map([
      ['r', 42],
      ['t', 17],
    ]),
  ]);
  assert.equal(h['Retry-After'], undefined);
  assert.equal(h['X-RateLimit-Limit'], undefined);
  assert.ok(!(policy?.[0] instanceof Token));
});

test('a denial has Retry-After in whole seconds, rounded up, equal to t', () => {
  const h = headersOf(denied, 'draft-10');
  assert.equal(h['Retry-After'], '3');
  const [limit] = parseList(h.RateLimit as string);
  const t = (limit as [unknown, Map<string, unknown>])[1].get('t') as number;
  assert.ok(Number(h['Retry-After']) >= t);
  assert.equal(t, 3);
});

test('legacy headers carry limit, remaining and the reset instant in Unix seconds', () => {
  const h = headersOf(admitted, 'legacy', 1_700_000_000_000);
  assert.deepEqual(h, {
    'X-RateLimit-Limit': '100',
    'X-RateLimit-Remaining': '42',
    'X-RateLimit-Reset': String(1_700_000_000 + 17),
  });
  assert.equal(Object.keys(headersOf(admitted, 'both')).length, 5);
  assert.deepEqual(headersOf(admitted, false), {});
  assert.deepEqual(headersOf(denied, false), { 'Retry-After': '3' });
});

test('w is the window in whole seconds, rounded up; names are escaped Structured Field Strings', () => {
  // Windows whose fraction is below one half: rounding to the nearest second would give 1 and 61.
  for (const [window, w] of [
    [1_200, 2],
    [1_500, 2],
    [61_000 + 1, 62],
    [60_000, 60],
  ] as const) {
    assert.equal(planHeaders(fixedWindow({ limit: 5, window }), 'draft-10', 'burst').policyValue, `"burst";q=5;w=${w}`);
  }
  assert.equal(planHeaders(fixedWindow({ limit: 5, window: 10 }), 'draft-10', 'x').policyValue, '"x";q=5;w=1');
  const odd = planHeaders(leakyBucket({ capacity: 10, leakPerSecond: 5 }), 'draft-10', 'say "hi" \\');
  assert.deepEqual(parseList(odd.policyValue)[0]?.[0], 'say "hi" \\');
  assert.equal(rateLimitValue(odd, admitted), '"say \\"hi\\" \\\\";r=42;t=17');
});

test('the 429 body is RFC 9457 problem details with the quota-exceeded type and violated-policies', () => {
  const body = problemDetails(denied, ['default']);
  assert.equal(body.type, QUOTA_EXCEEDED_TYPE);
  assert.equal(QUOTA_EXCEEDED_TYPE, 'https://iana.org/assignments/http-problem-types#quota-exceeded');
  assert.equal(body.status, 429);
  assert.deepEqual(body['violated-policies'], ['default']);
  assert.match(body.detail, /retry in 3 s/);
  assert.equal(typeof body.title, 'string');
});
