import assert from 'node:assert/strict';
import { describe, mock, test } from 'node:test';
import { Deadlines } from '../src/deadlines.js';
import { StoreTimeoutError } from '../src/failure.js';

/** A clock and setTimeout both driven by the test: no real waiting. */
function fakeTime(): { now: () => number; advance: (ms: number) => void; restore: () => void } {
  let nowMs = 0;
  mock.timers.enable({ apis: ['setTimeout'] });
  return {
    now: () => nowMs,
    advance: (ms) => {
      nowMs += ms;
      mock.timers.tick(ms);
    },
    restore: () => mock.timers.reset(),
  };
}

const never = <T>(): Promise<T> => new Promise<T>(() => {});

describe('Deadlines (one timer for all pending store calls)', () => {
  test('a call pending past timeoutMs rejects with StoreTimeoutError, not a moment earlier', async () => {
    const time = fakeTime();
    try {
      const deadlines = new Deadlines(100, time.now);
      const box: { outcome?: unknown } = {};
      deadlines.race(never()).then(
        () => (box.outcome = 'resolved'),
        (error: unknown) => (box.outcome = error),
      );
      time.advance(99);
      await Promise.resolve();
      assert.equal(box.outcome, undefined);
      time.advance(1);
      await new Promise((resolve) => setImmediate(resolve));
      const late: unknown = box.outcome;
      assert.ok(late instanceof StoreTimeoutError);
      assert.equal(late.code, 'FG_STORE_TIMEOUT');
    } finally {
      time.restore();
    }
  });

  test('calls settle with their own result; late ones time out in start order', async () => {
    const time = fakeTime();
    try {
      const deadlines = new Deadlines(50, time.now);
      const settled: string[] = [];
      const track = (name: string, p: Promise<unknown>) =>
        p.then(
          (v) => settled.push(`${name}=${String(v)}`),
          (e: unknown) => settled.push(`${name}:${(e as Error).name}`),
        );
      let finishB: (v: string) => void = () => {};
      const a = track('a', deadlines.race(never()));
      time.advance(20);
      const b = track('b', deadlines.race(new Promise<string>((resolve) => (finishB = resolve))));
      const c = track('c', deadlines.race(Promise.reject(new Error('boom'))));
      const d = track('d', deadlines.race(never()));
      finishB('ok');
      await Promise.all([b, c]);
      time.advance(30);
      assert.deepEqual([...settled].sort(), ['b=ok', 'c:Error']);
      await a;
      assert.equal(settled.at(-1), 'a:StoreTimeoutError');
      time.advance(20);
      await d;
      assert.equal(settled.at(-1), 'd:StoreTimeoutError');
      // A result arriving after the timeout changes nothing and raises nothing.
      assert.equal(settled.length, 4);
    } finally {
      time.restore();
    }
  });
});
