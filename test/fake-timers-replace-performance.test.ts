// Test frameworks' fake timers (Jest's default, @sinonjs/fake-timers with
// `performance` in toFake) replace the global `performance` object along with
// setTimeout. A user testing their fail-open path that way must see a hung
// store time out when the fake clock passes timeoutMs: flowgate has to read the
// global each time, not keep the object it found when it was imported.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixedWindow, RateLimiter } from '../src/index.js';
import { hangingStore } from './support/hanging-store.js';

test('fake timers that replace globalThis.performance time out a hung store call', async (t) => {
  const real = Object.getOwnPropertyDescriptor(globalThis, 'performance');
  let fakeNow = 1_000_000;
  Object.defineProperty(globalThis, 'performance', {
    value: { now: () => fakeNow, timeOrigin: 0 },
    configurable: true,
    writable: true,
  });
  t.mock.timers.enable({ apis: ['setTimeout'] });
  t.after(() => {
    t.mock.timers.reset();
    if (real) Object.defineProperty(globalThis, 'performance', real);
  });
  const limiter = new RateLimiter({
    policy: fixedWindow({ limit: 4, window: 1000 }),
    store: hangingStore,
    timeoutMs: 100,
    onStoreError: 'allow',
  });
  let settled: { degraded?: boolean } | undefined;
  void limiter.limit('k').then((decision) => {
    settled = decision;
  });
  // The fake clock and the fake timers move together, as a framework's tick does.
  for (let step = 0; step < 10 && settled === undefined; step++) {
    fakeNow += 20;
    t.mock.timers.tick(20);
    for (let turn = 0; turn < 5; turn++) await Promise.resolve();
  }
  assert.equal(settled?.degraded, true, 'the call timed out on the fake clock and the failure policy answered');
});
