// The division helpers skip the floating-point remainder for speed; they must
// return exactly (Object.is: the sign of zero included) what the remainder
// formulas they replaced return, for every dividend within 2^53.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ceilDiv, floorDiv, truncDiv } from '../../src/policies/decision.js';

const remainderCeil = (a: number, b: number) => {
  const r = a % b;
  return (a - r) / b + (r > 0 ? 1 : 0);
};
const remainderFloor = (a: number, b: number) => {
  const r = a % b;
  return (a - r) / b - (r < 0 ? 1 : 0);
};
const remainderTrunc = (a: number, b: number) => (a - (a % b)) / b;

const helpers = [
  ['ceilDiv', ceilDiv, remainderCeil],
  ['floorDiv', floorDiv, remainderFloor],
  ['truncDiv', truncDiv, remainderTrunc],
] as const;

function same(a: number, b: number): void {
  for (const [name, fast, reference] of helpers) {
    const got = fast(a, b);
    const want = reference(a, b);
    assert.ok(Object.is(got, want), `${name}(${a}, ${b}) = ${got}, the remainder formula gives ${want}`);
  }
}

const MAX = Number.MAX_SAFE_INTEGER;

test('division helpers equal the remainder formulas on edge cases', () => {
  const dividends = [0, -0, 1, -1, 2, 0.5, -0.5, 1.5, 2 ** 52, 2 ** 52 + 1, MAX, MAX - 1, -MAX, 1_767_225_600_000];
  const divisors = [1, 2, 3, 7, 1000, 4096, 3_600_000, 2 ** 36, 2 ** 26 + 1, MAX];
  for (const a of dividends) for (const b of divisors) same(a, b);
  assert.equal(truncDiv(1_767_225_600_000, 3_600_000), 490_896);
  assert.equal(ceilDiv(7, 2), 4);
  assert.ok(Object.is(floorDiv(-0, 3), 0));
});

test('division helpers equal the remainder formulas on random safe integers, near multiples too', () => {
  const divisor = fc.oneof(
    fc.integer({ min: 1, max: 10 }),
    fc.integer({ min: 1, max: 2 ** 40 }),
    fc.integer({ min: 1, max: MAX }),
  );
  fc.assert(
    fc.property(fc.integer({ min: -MAX, max: MAX }), divisor, fc.integer({ min: -1, max: 1 }), (a, b, nudge) => {
      same(a, b);
      // Dividends next to a multiple of b are where a rounded quotient would show.
      const near = Math.trunc(a / b) * b + nudge;
      if (Math.abs(near) <= MAX) same(near, b);
    }),
    { numRuns: 20_000 },
  );
});
