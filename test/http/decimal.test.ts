import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decimal } from '../../src/http/decimal.js';
import { planHeaders, rateLimitValue } from '../../src/http/headers.js';
import { RateLimitText } from '../../src/http/rate-limit-text.js';
import { type Decision, fixedWindow } from '../../src/index.js';

test('decimal(n) is String(n) across every group boundary, zero padding, and what falls back to String', () => {
  const values = [
    0,
    -0,
    7,
    10,
    99,
    100,
    999,
    1000,
    1001,
    1010,
    1100,
    9999,
    10_000,
    100_001,
    999_999,
    1_000_000,
    1_000_001,
    1_002_003,
    10_000_100,
    123_456_789,
    999_000_999,
    999_999_999,
    1e9,
    2 ** 31 - 1,
    2 ** 31,
    2 ** 53,
    -1,
    -1000,
    0.5,
    41.999,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
  ];
  for (let n = 0; n < 3000; n++) values.push(n, n * 1000 + (n % 7), n * 1_000_000 + n);
  for (const n of values) assert.equal(decimal(n), String(n), `decimal(${n})`);
});

test('the RateLimit value is the same text as the template literal it replaces, as reset seconds change', () => {
  const plan = planHeaders(fixedWindow({ limit: 1e9, window: '1h' }), 'draft-10', undefined);
  const base: Decision = {
    allowed: true,
    limit: 1e9,
    remaining: 0,
    resetMs: 0,
    retryAfterMs: 0,
    delayMs: 0,
    degraded: false,
    atMs: 0,
    spent: 1,
  };
  for (const [remaining, resetMs] of [
    [999_999_999, 3_600_000],
    [999_999_998, 3_600_000],
    [1_000, 3_599_001],
    [0, 1],
    [5, 0],
    [12.5, 59_999],
  ] as const) {
    const decision = { ...base, remaining, resetMs };
    assert.equal(rateLimitValue(plan, decision), `"default";r=${remaining};t=${Math.ceil(resetMs / 1000)}`);
  }
});

test('RateLimitText writes each item as the template literal would, through hot-key runs, other keys and odd values', () => {
  const text = new RateLimitText('"api";r=');
  const remainders: number[] = [];
  // A hot key counting down across thousand and million boundaries, then other keys in between.
  for (let r = 1_000_002; r >= 998_997; r--) remainders.push(r);
  for (let r = 1_002; r >= 997; r--) remainders.push(r);
  remainders.push(999_999_999, 999_999_998, 5_000, 4_999, 5_000, 123_456_789, 123_456_788, 1_000_000_000, 2 ** 31);
  remainders.push(12.5, 1_000.5, -1, 0, -0, 1_000, 999_000, 999_001, 998_999);
  for (const [i, remaining] of remainders.entries()) {
    const seconds = i % 3 === 0 ? 60 : 59;
    assert.equal(text.item(remaining, seconds), `"api";r=${remaining};t=${seconds}`, `remaining ${remaining}`);
  }
});
