/**
 * An observed store call is timed with one clock reading per drain of the
 * microtask queue (src/turn-clock.ts): decisions answered by one reply share
 * it, and a later turn reads the clock again — also when fake timers have
 * replaced `queueMicrotask` (Jest's default does), which must not freeze the
 * reading. The clock is a fake `performance` set by hand, so every storeMs is
 * exact.
 */
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { type TestContext, test } from 'node:test';
import { CHANNELS, type Decision, type DecisionEvent, fixedWindow, RateLimiter, type Store } from '../../src/index.js';
import { MemoryStore } from '../../src/stores/memory.js';

/** A store whose answers wait until `answer()` hands them out, all in one synchronous loop (as one Redis reply does). */
function heldStore(): { store: Store; answer: () => void } {
  const waiting: (() => void)[] = [];
  const memory = new MemoryStore();
  const hold = <T>(value: T): Promise<T> => new Promise((resolve) => waiting.push(() => resolve(value)));
  return {
    store: {
      bind(binding) {
        const bound = memory.bind(binding);
        return {
          limit: (keys, cost, deadline) => hold(bound.limit(keys, cost, deadline) as Decision),
          peek: (keys, deadline) => hold(bound.peek(keys, deadline) as Decision),
          refund: (keys, refunds, deadline) => bound.refund(keys, refunds, deadline),
          reset: (keys, deadline) => bound.reset(keys, deadline),
        };
      },
    },
    answer: () => {
      for (const resolve of waiting.splice(0)) resolve();
    },
  };
}

/** Replaces globalThis.performance with one whose now() is `clock.now`, until the test ends. */
function fakePerformance(t: TestContext): { now: number; reads: number } {
  const clock = { now: 1_000, reads: 0 };
  const real = Object.getOwnPropertyDescriptor(globalThis, 'performance');
  Object.defineProperty(globalThis, 'performance', {
    value: {
      now: () => {
        clock.reads++;
        return clock.now;
      },
      timeOrigin: 0,
    },
    configurable: true,
    writable: true,
  });
  t.after(() => {
    if (real) Object.defineProperty(globalThis, 'performance', real);
  });
  return clock;
}

function listen(t: TestContext): DecisionEvent[] {
  const events: DecisionEvent[] = [];
  const onMessage = (message: unknown): void => {
    events.push(message as DecisionEvent);
  };
  subscribe(CHANNELS.decision, onMessage);
  t.after(() => unsubscribe(CHANNELS.decision, onMessage));
  return events;
}

/** Lets every queued microtask and the current turn finish. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

for (const timeoutMs of [50, Number.POSITIVE_INFINITY]) {
  test(`calls answered by one reply share a reading; a later reply reads again (timeoutMs ${timeoutMs})`, async (t) => {
    const clock = fakePerformance(t);
    const events = listen(t);
    const { store, answer } = heldStore();
    const limiter = new RateLimiter({
      store,
      policy: fixedWindow({ limit: 10, window: '1m' }),
      clock: () => 0,
      timeoutMs,
    });

    const first = [limiter.limit('a'), limiter.limit('b'), limiter.peek('c')];
    clock.now = 1_040;
    const readsBefore = clock.reads;
    answer();
    await Promise.all(first);
    assert.equal(clock.reads - readsBefore, 1, 'one reading for the three answers');
    assert.deepEqual(
      events.map((e) => e.storeMs),
      [40, 40, 40],
    );

    // The reading above is not kept: this call starts at 1 100 and is answered at 1 175.
    await nextTurn();
    clock.now = 1_100;
    const second = limiter.limit('a');
    await nextTurn();
    clock.now = 1_175;
    answer();
    await second;
    assert.deepEqual(
      events.map((e) => e.storeMs),
      [40, 40, 40, 75],
    );
  });
}

test('fake timers that hold back queueMicrotask do not freeze the reading', async (t) => {
  const clock = fakePerformance(t);
  const events = listen(t);
  const realQueueMicrotask = globalThis.queueMicrotask;
  globalThis.queueMicrotask = () => {}; // what a fake-timer library does until its clock is ticked
  t.after(() => {
    globalThis.queueMicrotask = realQueueMicrotask;
  });
  const { store, answer } = heldStore();
  const limiter = new RateLimiter({
    store,
    policy: fixedWindow({ limit: 10, window: '1m' }),
    clock: () => 0,
    timeoutMs: Number.POSITIVE_INFINITY,
  });
  for (const [start, end] of [
    [2_000, 2_010],
    [3_000, 3_500],
  ] as const) {
    clock.now = start;
    const pending = limiter.limit('k');
    await nextTurn();
    clock.now = end;
    answer();
    await pending;
  }
  assert.deepEqual(
    events.map((e) => e.storeMs),
    [10, 500],
  );
});
