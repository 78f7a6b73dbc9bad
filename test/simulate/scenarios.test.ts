import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatPercent } from '../../src/simulate/format.js';
import { type AlgorithmResult, simulate } from '../../src/simulate/simulate.js';
import { ALGORITHMS } from '../../src/simulate/types.js';

const MINUTE = 60_000;

function byAlgorithm(results: readonly AlgorithmResult[]): Record<string, AlgorithmResult> {
  return Object.fromEntries(results.map((r) => [r.algorithm, r]));
}

/** Holds for every scenario: the log is the reference, and some algorithms can only err one way. */
function checkInvariants(results: readonly AlgorithmResult[], limit: number): void {
  const r = byAlgorithm(results);
  const log = r['sliding-log'] as AlgorithmResult;
  assert.equal(log.overAdmitted + log.underAdmitted, 0);
  // The exact rule on the log's own history is the log: zero same-history errors.
  assert.deepEqual(log.sameHistory, { over: 0, under: 0, percent: 0 });
  assert.ok(log.maxAdmittedInWindow <= limit);
  assert.equal(log.stateBytesPerKey, 8 * log.maxAdmittedInWindow);
  // A full fixed window or an empty bucket implies a full rolling window: they never deny wrongly.
  assert.equal(r['fixed-window']?.sameHistory.under, 0);
  assert.equal(r['token-bucket']?.sameHistory.under, 0);
  // Both buckets admit identically; the leaky one also delays.
  assert.equal(r['leaky-bucket']?.admitted, r['token-bucket']?.admitted);
  assert.ok(r['leaky-bucket']?.delays && r['leaky-bucket'].delays.max <= 60_000);
}

test('steady: same offered trace for every algorithm, invariants hold, deterministic per seed', async () => {
  const options = {
    scenario: 'steady',
    limit: 100,
    windowMs: MINUTE,
    algorithms: ALGORITHMS,
    seed: 7,
    durationMs: 5 * MINUTE,
  };
  const { report } = await simulate(options);
  const requests = report.results.map((r) => r.admitted + r.denied);
  assert.ok(requests.every((n) => n === requests[0]) && (requests[0] as number) > 15_000);
  checkInvariants(report.results, 100);
  const again = await simulate(options);
  assert.deepEqual(again.report, report);
  const other = await simulate({ ...options, seed: 8 });
  assert.notDeepEqual(other.report.results, report.results);
});

test('mobile-sync: the sliding window counter admits more than the limit in some rolling window', async () => {
  const { report } = await simulate({
    scenario: 'mobile-sync',
    limit: 100,
    windowMs: MINUTE,
    algorithms: ALGORITHMS,
    seed: 1,
    durationMs: 10 * MINUTE,
  });
  checkInvariants(report.results, 100);
  const r = byAlgorithm(report.results);
  assert.equal(r['sliding-window']?.maxAdmittedInWindow, 185);
  assert.equal(r['fixed-window']?.maxAdmittedInWindow, 200);
  // Seeded and deterministic: exact counts, not bounds.
  assert.deepEqual(r['sliding-window']?.offeredRateError, {
    requests: 22_938,
    wrong: 1405,
    falsePositives: 716,
    percent: (1405 / 22_938) * 100,
  });
});

test("steady as the README runs it (seed 1, 30 min): Cloudflare's method finds exactly 8,846 of 120,414 wrong (7.35%)", async () => {
  const { report } = await simulate({
    scenario: 'steady',
    limit: 100,
    windowMs: MINUTE,
    algorithms: ALGORITHMS,
    seed: 1,
  });
  assert.equal(report.params.durationMs, 30 * MINUTE);
  const sliding = byAlgorithm(report.results)['sliding-window'] as AlgorithmResult;
  assert.deepEqual(sliding.offeredRateError, {
    requests: 120_414,
    wrong: 8846,
    falsePositives: 5096,
    percent: (8846 / 120_414) * 100,
  });
  assert.equal(formatPercent(sliding.offeredRateError?.percent as number), '7.35%');
  assert.equal(sliding.offeredRateErrorGlobal, undefined, 'no global limit in steady');
  assert.deepEqual(
    [sliding.overAdmitted, sliding.underAdmitted, sliding.wrongPercent],
    [6356, 5413, (11_769 / 120_414) * 100],
  );
  checkInvariants(report.results, 100);
});

test('retry-storm: closed loop; clients that back off complete at least as many jobs with fewer denials on the fixed window', async () => {
  const { report } = await simulate({
    scenario: 'retry-storm',
    limit: 10,
    windowMs: 1000,
    algorithms: ALGORITHMS,
    seed: 3,
    durationMs: 20_000,
  });
  checkInvariants(report.results, 10);
  const fixed = byAlgorithm(report.results)['fixed-window'] as AlgorithmResult;
  const backoff = fixed.groups.backoff as { admitted: number; denied: number };
  const immediate = fixed.groups.immediate as { admitted: number; denied: number };
  assert.ok(backoff.denied < immediate.denied, JSON.stringify(fixed.groups));
  assert.ok(backoff.admitted >= immediate.admitted * 0.9, JSON.stringify(fixed.groups));
});

test('botnet: per-source limits never bind; the global limit does, and the token bucket can pass 2x it in a window', async () => {
  const { report } = await simulate({
    scenario: 'botnet',
    limit: 100,
    windowMs: MINUTE,
    algorithms: ['fixed-window', 'sliding-log', 'token-bucket'],
    seed: 1,
    durationMs: MINUTE,
  });
  assert.equal(report.params.globalLimit, 10_000);
  const r = byAlgorithm(report.results);
  for (const result of report.results) {
    const bots = result.groups.bot as { admitted: number; denied: number };
    const users = result.groups.user as { admitted: number; denied: number };
    assert.equal(bots.admitted + bots.denied, 50_000);
    assert.equal(users.admitted + users.denied, 988);
    // One request per source and 50 a minute per legitimate client (Poisson): the per-source limit of 100 never binds.
    assert.ok(result.maxAdmittedInWindow < 100, `${result.algorithm}: ${result.maxAdmittedInWindow}`);
  }
  // The exact log admits the first 10,000 of the minute; the legitimate clients get their share of them.
  assert.deepEqual(r['sliding-log']?.groups, {
    user: { admitted: 197, denied: 791 },
    bot: { admitted: 9803, denied: 40_197 },
  });
  assert.equal(r['fixed-window']?.admitted, 10_000);
  assert.equal(r['sliding-log']?.admitted, 10_000);
  assert.equal(r['sliding-log']?.maxAdmittedInWindowAllKeys, 10_000);
  // Capacity 10,000 up front plus refill during the minute.
  assert.ok((r['token-bucket']?.admitted as number) > 10_000);
});
