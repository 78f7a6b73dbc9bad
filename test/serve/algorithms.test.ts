// Every algorithm through the service decides as the library does on the
// same traffic: the same admissions, remaining counts and waits, step by step
// on the test clock (the service's --test-clock, the library's `clock`).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  type Decision,
  fixedWindow,
  leakyBucket,
  type Policy,
  RateLimiter,
  slidingLog,
  slidingWindow,
  tokenBucket,
} from '../../src/index.js';
import { d, RlsClient } from './support/grpc-client.js';
import { type Service, startService, T0 } from './support/service.js';

const config = fileURLToPath(new URL('./fixtures/algorithms.yaml', import.meta.url));
const POLICIES: Record<string, Policy> = {
  'fixed-window': fixedWindow({ limit: 5, window: '1m' }),
  'sliding-window': slidingWindow({ limit: 5, window: '1m' }),
  'sliding-log': slidingLog({ limit: 5, window: '1m' }),
  'token-bucket': tokenBucket({ capacity: 3, refillPerSecond: 5 / 60 }),
  'leaky-bucket': leakyBucket({ capacity: 3, leakPerSecond: 5 / 60 }),
};

/** A fixed pseudo-random trace: bursts, pauses across window boundaries, costs of 1 to 3. */
function trace(): { atMs: number; cost: number }[] {
  let seed = 7;
  const next = (n: number): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed % n;
  };
  const steps: { atMs: number; cost: number }[] = [];
  let at = T0;
  for (let i = 0; i < 60; i++) {
    at += next(4) === 0 ? next(30_000) : next(2_000);
    steps.push({ atMs: at, cost: 1 + (next(5) === 0 ? 1 + next(2) : 0) });
  }
  return steps;
}

let service: Service;
let client: RlsClient;

before(async () => {
  service = await startService(['--config', config]);
  client = new RlsClient(service.grpcPort);
});

after(async () => {
  client.close();
  assert.equal(await service.stop(), 0);
});

for (const [algorithm, policy] of Object.entries(POLICIES)) {
  test(`${algorithm}: the service decides the trace exactly as the library`, async () => {
    let now = T0;
    const library = new RateLimiter({ policy, clock: () => now });
    const steps = trace();
    let denied = 0;
    for (const [i, step] of steps.entries()) {
      now = step.atMs;
      service.setClock(step.atMs);
      const expected: Decision = await library.limit('k', { cost: step.cost });
      const r = await client.call('algorithms', [{ ...d(algorithm, 'k'), hitsAddend: { value: step.cost } }]);
      const s = r.statuses[0];
      const ms =
        s?.durationUntilReset === null || s === undefined
          ? -1
          : s.durationUntilReset.seconds * 1000 + s.durationUntilReset.nanos / 1e6;
      const got = { allowed: r.overallCode === 'OK', remaining: s?.limitRemaining, ms };
      const want = {
        allowed: expected.allowed,
        remaining: expected.remaining,
        ms: expected.allowed ? expected.resetMs : expected.retryAfterMs,
      };
      assert.deepEqual(got, want, `step ${i} at +${step.atMs - T0} ms, cost ${step.cost}`);
      if (!expected.allowed) denied++;
    }
    // The trace must exercise both outcomes to prove anything.
    assert.ok(denied > 3 && denied < steps.length - 3, `${denied} of ${steps.length} denied`);
  });
}
