// Issue: a leaky-bucket hold above 2^31-1 ms overflowed setTimeout, which
// Node clamps to 1 ms: the request was served at once instead of being held.
// The middleware now refuses (429 with Retry-After) a request that would wait
// longer than maxDelayMs (default 60 s), and holds correctly for any delay it
// allows, chaining timers past 2^31-1 ms.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, type TestContext, test } from 'node:test';
import { DEFAULT_MAX_DELAY_MS, HttpLimiter, type Verdict } from '../../src/http/core.js';
import { MAX_TIMER_MS } from '../../src/http/hold.js';
import { type Decision, fixedWindow, type LimitOptions, leakyBucket, RateLimiter } from '../../src/index.js';
import { harnesses, type Running } from './harnesses.js';

const T0 = 1_000_000;
const DAY_MS = 86_400_000;

/** A limiter that tells the test when each decision has been made. */
class SignallingLimiter extends RateLimiter {
  private waiters: (() => void)[] = [];
  decided(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  override limit(key: string, options?: LimitOptions): Promise<Decision> {
    return super.limit(key, options).then((d) => {
      for (const w of this.waiters.splice(0)) w();
      return d;
    });
  }
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(server: Running): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: server.host, port: server.port, path: '/', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Mock timers that behave like Node's real ones for long delays: a delay
 * above 2^31-1 ms fires after 1 ms (with a TimeoutOverflowWarning). Plain
 * mock timers would honour any delay and hide the overflow.
 */
function nodeLikeMockTimers(t: TestContext): () => void {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const mocked = globalThis.setTimeout;
  globalThis.setTimeout = ((callback: () => void, ms?: number) =>
    mocked(callback, (ms ?? 0) > MAX_TIMER_MS ? 1 : ms)) as typeof setTimeout;
  return () => {
    globalThis.setTimeout = mocked;
    t.mock.timers.reset();
  };
}

describe('leaky-bucket holds', () => {
  for (const harness of harnesses) {
    test(`${harness.name}: a 30-day hold allowed by maxDelayMs waits 30 days, not 1 ms`, async (t) => {
      const limiter = new SignallingLimiter({
        policy: leakyBucket({ capacity: 3, leakPerSecond: 1 / (30 * 86_400) }),
        clock: () => T0,
      });
      const server = await harness.start({ options: { limiter, maxDelayMs: Number.POSITIVE_INFINITY } });
      try {
        assert.equal((await get(server)).status, 200);
        const restore = nodeLikeMockTimers(t);
        try {
          const decided = limiter.decided();
          const second = get(server);
          await decided;
          await flush();
          // Mock time jumps to the end of each tick before timers fire, so a chained timer is
          // re-armed from there: the steps land on the chain's links (2^31-1, then 30 days).
          for (const step of [1, MAX_TIMER_MS - 1, 30 * DAY_MS - MAX_TIMER_MS - 1]) {
            t.mock.timers.tick(step);
            await flush();
            assert.equal(server.handled, 1, `still held after another ${step} ms`);
          }
          t.mock.timers.tick(1);
          assert.equal((await second).status, 200);
          assert.equal(server.handled, 2, 'served after exactly 30 days');
        } finally {
          restore();
        }
      } finally {
        await server.close();
      }
    });

    test(`${harness.name}: a request that would wait longer than maxDelayMs is refused with Retry-After`, async () => {
      const limiter = new RateLimiter({ policy: leakyBucket({ capacity: 3, leakPerSecond: 1 }), clock: () => T0 });
      const server = await harness.start({ options: { limiter, maxDelayMs: 500 } });
      try {
        assert.equal((await get(server)).status, 200);
        const refused = await get(server);
        assert.equal(refused.status, 429);
        // The queue, with this request, drains to 500 ms of wait after 2000 - 500 ms: 2 s rounded up.
        assert.equal(refused.headers['retry-after'], '2');
        assert.equal(JSON.parse(refused.body).type, 'https://iana.org/assignments/http-problem-types#quota-exceeded');
        assert.equal(server.handled, 1);
      } finally {
        await server.close();
      }
      // The default, 60 s: a 100 s hold is refused.
      const slow = new RateLimiter({ policy: leakyBucket({ capacity: 3, leakPerSecond: 0.01 }), clock: () => T0 });
      const defaults = await harness.start({ options: { limiter: slow } });
      try {
        assert.equal((await get(defaults)).status, 200);
        const refused = await get(defaults);
        assert.equal(refused.status, 429);
        assert.equal(refused.headers['retry-after'], String((200_000 - DEFAULT_MAX_DELAY_MS) / 1000));
      } finally {
        await defaults.close();
      }
    });
  }
});

test('the refusal names the instant the hold first fits: retryAfterMs = resetMs - maxDelayMs, exactly', async () => {
  let now = T0;
  const limiter = new RateLimiter({ policy: leakyBucket({ capacity: 5, leakPerSecond: 3 }), clock: () => now });
  const core = new HttpLimiter({ limiter, maxDelayMs: 700 }, 'test', []);
  const decide = () => (core.decide({}, '203.0.113.7', {}, {}) as Verdict).decision;
  const delays = [decide(), decide(), decide()].map((d) => [d.allowed, d.delayMs]);
  assert.deepEqual(delays, [
    [true, 0],
    [true, 334],
    [true, 667],
  ]);
  const refused = decide();
  assert.equal(refused.allowed, false);
  assert.equal(refused.delayMs, 0);
  assert.equal(refused.retryAfterMs, refused.resetMs - 700);
  // The refused request keeps its place in the queue (the limiter admitted it; see the README).
  // peek, which consumes nothing, shows the wait a new request would get.
  const at = now + refused.retryAfterMs;
  now = at - 1;
  assert.ok((await limiter.peek('203.0.113.7')).delayMs > 700, 'one ms early: still longer than maxDelayMs');
  now = at;
  assert.equal((await limiter.peek('203.0.113.7')).delayMs, 700, 'then it fits');
  const fits = decide();
  assert.deepEqual([fits.allowed, fits.delayMs], [true, 700]);
});

test('maxDelayMs: 0 never holds; only whole numbers >= 0 or Infinity are accepted', () => {
  const limiter = new RateLimiter({ policy: leakyBucket({ capacity: 3, leakPerSecond: 1 }), clock: () => T0 });
  const core = new HttpLimiter({ limiter, maxDelayMs: 0 }, 'test', []);
  assert.equal((core.decide({}, '203.0.113.7', {}, {}) as Verdict).decision.allowed, true);
  assert.equal((core.decide({}, '203.0.113.7', {}, {}) as Verdict).decision.allowed, false);
  const window = new RateLimiter({ policy: fixedWindow({ limit: 1, window: '1m' }) });
  for (const ok of [0, 1, 2 ** 40, Number.POSITIVE_INFINITY]) {
    assert.doesNotThrow(() => new HttpLimiter({ limiter: window, maxDelayMs: ok }, 'test', []), String(ok));
  }
  for (const bad of [-1, 1.5, Number.NaN, '1s', null, Number.NEGATIVE_INFINITY]) {
    assert.throws(
      () => new HttpLimiter({ limiter: window, maxDelayMs: bad as never }, 'test', []),
      { code: 'FG_MAX_DELAY_INVALID' },
      String(bad),
    );
  }
});
