import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixedWindow, RateLimiter } from '../../src/index.js';
import { algorithmGate, limiterGate, runTraffic } from '../../src/simulate/runner.js';
import type { Arrival } from '../../src/simulate/types.js';

// 10 requests at 990..999 ms and 10 at 1000..1009 ms: a boundary burst on a 1 s window.
const arrivals: Arrival[] = Array.from({ length: 20 }, (_, i) => ({ at: 990 + i, key: 'client', cost: 1 }));

test('the runner takes any gate: here a RateLimiter built by the caller on the run clock', async () => {
  let built = 0;
  const gate = limiterGate((clock) => {
    built++;
    return new RateLimiter({ policy: fixedWindow({ limit: 15, window: 1000 }), clock });
  });
  const reference = algorithmGate('sliding-log', { limit: 15, windowMs: 1000 });
  const run = await runTraffic({ arrivals }, { algorithm: 'fixed-window', gate, reference });
  assert.equal(built, 1);
  // 10 fit the first window, then the new window admits all 10 more; the log stops at 15.
  assert.deepEqual(run.allowed, Array(20).fill(true));
  assert.deepEqual(run.reference, [...Array(15).fill(true), ...Array(5).fill(false)]);
  assert.deepEqual(
    run.at,
    arrivals.map((a) => a.at),
  );
});
