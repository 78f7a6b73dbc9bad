import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { IssueList } from '../src/errors.js';
import { MAX_TICKS_PER_MS, tickRate, toFraction } from '../src/policies/rate.js';

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

describe('toFraction', () => {
  test('finds the small fraction behind a double', () => {
    const cases: [number, [number, number]][] = [
      [100 / 60, [5, 3]],
      [0.375, [3, 8]],
      [1 / 3, [1, 3]],
      [0.1, [1, 10]],
      [2.5, [5, 2]],
      [3, [3, 1]],
      [7, [7, 1]],
      [1000, [1000, 1]],
      [10 / 60, [1, 6]],
      [2 / 7, [2, 7]],
      [1e-9, [1, 1_000_000_000]],
    ];
    for (const [value, fraction] of cases) assert.deepEqual(toFraction(value), fraction, String(value));
  });

  test('every p/q with small p and q comes back reduced', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 1, max: 10_000 }), (p, q) => {
        const g = gcd(p, q);
        assert.deepEqual(toFraction(p / q), [p / g, q / g]);
      }),
      { numRuns: 2000 },
    );
  });

  test('the quotient of the fraction is exactly the double, whatever it returns', () => {
    for (const value of [Math.PI, 0.1 + 0.2, Math.SQRT2, 1 / 3 + 1e-12]) {
      const fraction = toFraction(value);
      if (fraction) assert.equal(fraction[0] / fraction[1], value);
    }
  });
});

describe('tickRate', () => {
  test('the coarsest tick in which one ms and one interval are whole', () => {
    const cases: [number, number, number][] = [
      // perSecond, ticksPerMs, intervalTicks (interval = intervalTicks / ticksPerMs ms)
      [3, 3, 1000],
      [7, 7, 1000],
      [0.375, 3, 8000],
      [100 / 60, 1, 600],
      [10, 1, 100],
      [1000, 1, 1],
      [4000, 4, 1],
      [2.5, 1, 400],
      [1001, 1001, 1000],
      [4096, 512, 125],
      [1 / 3, 1, 3000],
      [0.1, 1, 10_000],
    ];
    for (const [perSecond, ticksPerMs, intervalTicks] of cases) {
      const issues = new IssueList();
      assert.deepEqual(tickRate(issues, 'rate', perSecond), { ticksPerMs, intervalTicks }, String(perSecond));
      assert.equal(issues.issues.length, 0);
    }
  });

  test('exact and coarsest for random fractional rates', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4096 }), fc.integer({ min: 1, max: 1000 }), (p, q) => {
        const issues = new IssueList();
        const rate = tickRate(issues, 'rate', p / q);
        assert.ok(rate, `rejected ${p}/${q}: ${issues.issues.map((i) => i.code)}`);
        const { ticksPerMs, intervalTicks } = rate;
        assert.ok(Number.isSafeInteger(ticksPerMs) && Number.isSafeInteger(intervalTicks));
        assert.ok(ticksPerMs <= MAX_TICKS_PER_MS);
        // interval = 1000 q / p ms = intervalTicks / ticksPerMs ms, exactly.
        assert.equal(intervalTicks * p, 1000 * q * ticksPerMs);
        assert.equal(gcd(ticksPerMs, intervalTicks), 1, 'coarsest tick');
      }),
      { numRuns: 2000 },
    );
  });

  test('invalid and too fine rates are recorded, with their codes', () => {
    for (const value of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '3', undefined]) {
      const issues = new IssueList();
      assert.equal(tickRate(issues, 'x.rate', value), undefined);
      assert.deepEqual(
        issues.issues.map((i) => [i.code, i.option, i.received]),
        [['FG_RATE_INVALID', 'x.rate', value]],
      );
    }
    for (const value of [4097, 4096.5, Math.PI, 0.1 + 0.2]) {
      const issues = new IssueList();
      assert.equal(tickRate(issues, 'x.rate', value), undefined);
      assert.deepEqual(
        issues.issues.map((i) => i.code),
        ['FG_RATE_TOO_FINE'],
        String(value),
      );
    }
  });
});
