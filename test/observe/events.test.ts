/**
 * The decision events of `diagnostics_channel` (CHANNELS.decision): what a
 * message holds for a limiter with one policy, a set, a shadow limiter, a
 * store that answers with a promise, the denial cache and the failure policy;
 * and that with nobody listening, no message is built at all.
 */
import assert from 'node:assert/strict';
import { channel, subscribe, unsubscribe } from 'node:diagnostics_channel';
import { test } from 'node:test';
import {
  CHANNELS,
  type Decision,
  type DecisionEvent,
  fixedWindow,
  RateLimiter,
  type SetDecision,
  type Store,
} from '../../src/index.js';
import { delayedStore } from '../support/metrics.js';

/** Collects the decision events published while `body` runs. */
async function collect(body: () => Promise<void>): Promise<DecisionEvent[]> {
  const events: DecisionEvent[] = [];
  const onMessage = (message: unknown): void => {
    events.push(message as DecisionEvent);
  };
  subscribe(CHANNELS.decision, onMessage);
  try {
    await body();
  } finally {
    unsubscribe(CHANNELS.decision, onMessage);
  }
  return events;
}

/** A store that fails every call. */
const brokenStore: Store = {
  bind: () => ({
    limit: () => Promise.reject(new Error('connection refused')),
    peek: () => Promise.reject(new Error('connection refused')),
    refund: () => Promise.reject(new Error('connection refused')),
    reset: () => Promise.reject(new Error('connection refused')),
  }),
};

test('a limiter with one policy: name, limits, operation, cost, the decision returned, outcomes, keys on request', async () => {
  const limiter = new RateLimiter({ name: 'api', policy: fixedWindow({ limit: 2, window: '1m' }), clock: () => 0 });
  const returned: Decision[] = [];
  const events = await collect(async () => {
    returned.push(await limiter.limit('user:1'));
    returned.push(await limiter.limit('user:1', { cost: 1 }));
    returned.push(await limiter.limit('user:1'));
    returned.push(await limiter.peek('user:2'));
  });
  assert.deepEqual(
    events.map((e) => [e.limiter, e.limits, e.operation, e.cost, e.outcomes, e.storeMs]),
    [
      ['api', ['default'], 'limit', 1, ['allowed'], undefined],
      ['api', ['default'], 'limit', 1, ['allowed'], undefined],
      ['api', ['default'], 'limit', 1, ['denied'], undefined],
      ['api', ['default'], 'peek', 1, ['allowed'], undefined],
    ],
  );
  events.forEach((e, i) => {
    assert.equal(e.decision, returned[i], 'the event carries the decision the caller got');
  });
  // The limiter reuses its one-key array from call to call: each event keeps its own request's key.
  assert.deepEqual(
    events.map((e) => e.keys()),
    [['user:1'], ['user:1'], ['user:1'], ['user:2']],
  );
  assert.doesNotMatch(JSON.stringify(events), /user:/, 'keys are not in the message, only behind keys()');
});

test('the name defaults to the prefix', async () => {
  const limiter = new RateLimiter({ prefix: 'login', policy: fixedWindow({ limit: 1, window: '1m' }) });
  const [event] = await collect(async () => {
    await limiter.limit('k');
  });
  assert.equal(event?.limiter, 'login');
});

test('a set: one outcome per limit in declaration order, a shadow limit counted as shadow_denied', async () => {
  const limiter = new RateLimiter({
    name: 'set',
    limits: {
      perUser: fixedWindow({ limit: 2, window: '1m' }),
      perOrg: fixedWindow({ limit: 3, window: '1m' }),
      trial: { policy: fixedWindow({ limit: 1, window: '1m' }), mode: 'shadow' },
    },
    clock: () => 0,
  });
  const decisions: SetDecision[] = [];
  const events = await collect(async () => {
    for (let i = 0; i < 3; i++) decisions.push(await limiter.limit({ perUser: 'u1', perOrg: 'acme', trial: 'u1' }));
    decisions.push(await limiter.limit({ perUser: 'u2', perOrg: 'acme', trial: 'u2' }));
  });
  assert.deepEqual(
    events.map((e) => e.outcomes),
    [
      ['allowed', 'allowed', 'allowed'],
      ['allowed', 'allowed', 'shadow_denied'],
      // perUser denies: the set spends nothing; perOrg would have admitted, the shadow limit still denies.
      ['denied', 'allowed', 'shadow_denied'],
      ['allowed', 'allowed', 'allowed'],
    ],
  );
  assert.deepEqual(
    decisions.map((d) => [d.allowed, d.shadowDenied, d.violated]),
    [
      [true, false, []],
      [true, true, []],
      [false, true, ['perUser']],
      [true, false, []],
    ],
  );
  assert.deepEqual(events[3]?.limits, ['perUser', 'perOrg', 'trial']);
  assert.deepEqual(events[3]?.keys(), ['u2', 'acme', 'u2']);
});

test('a shadow limiter: admitted, marked, and reported as shadow_denied', async () => {
  const limiter = new RateLimiter({ policy: fixedWindow({ limit: 1, window: '1m' }), mode: 'shadow', clock: () => 0 });
  const decisions: Decision[] = [];
  const events = await collect(async () => {
    decisions.push(await limiter.limit('k'), await limiter.limit('k'));
  });
  assert.deepEqual(
    decisions.map((d) => [d.allowed, d.shadowDenied]),
    [
      [true, false],
      [true, true],
    ],
  );
  assert.deepEqual(
    events.map((e) => e.outcomes),
    [['allowed'], ['shadow_denied']],
  );
});

test('storeMs: measured for a store that answers with a promise, undefined for the denial cache', async () => {
  const limiter = new RateLimiter({
    policy: fixedWindow({ limit: 1, window: '1m' }),
    store: delayedStore(0),
    denialCache: true,
    clock: () => 0,
  });
  const events = await collect(async () => {
    await limiter.limit('k'); // the store admits
    await limiter.limit('k'); // the store denies, and the denial is cached
    await limiter.limit('k'); // the denial cache answers
  });
  assert.deepEqual(
    events.map((e) => e.outcomes[0]),
    ['allowed', 'denied', 'denied'],
  );
  for (const e of events.slice(0, 2)) {
    assert.ok(typeof e.storeMs === 'number' && Number.isFinite(e.storeMs) && e.storeMs >= 0, String(e.storeMs));
  }
  assert.equal(events[2]?.storeMs, undefined, 'no store call to wait for');
});

test('the failure policy: degraded outcomes, no store time', async () => {
  const allow = new RateLimiter({ policy: fixedWindow({ limit: 5, window: '1m' }), store: brokenStore, logger: false });
  const deny = new RateLimiter({
    limits: { a: fixedWindow({ limit: 5, window: '1m' }), b: fixedWindow({ limit: 5, window: '1m' }) },
    store: brokenStore,
    onStoreError: 'deny',
    logger: false,
  });
  const events = await collect(async () => {
    await allow.limit('k');
    await deny.limit('k');
  });
  assert.deepEqual(
    events.map((e) => [e.outcomes, e.storeMs]),
    [
      [['degraded_allowed'], undefined],
      [['degraded_denied', 'degraded_denied'], undefined],
    ],
  );
});

/**
 * A decision whose every field counts its reads: a limiter that built a
 * message (outcomes, the set's limits) would read them.
 */
function spyDecision(reads: string[]): Decision {
  const values: Record<string, unknown> = {
    allowed: true,
    limit: 10,
    remaining: 9,
    resetMs: 1000,
    retryAfterMs: 0,
    delayMs: 0,
    degraded: false,
    atMs: 0,
  };
  const spy = {};
  for (const field of [...Object.keys(values), 'limits', 'shadowDenied']) {
    Object.defineProperty(spy, field, {
      enumerable: field in values,
      get() {
        reads.push(field);
        return values[field];
      },
    });
  }
  return spy as Decision;
}

function spyStore(reads: string[], answer: 'sync' | 'promise'): Store {
  return {
    bind: () => ({
      limit: () => (answer === 'sync' ? spyDecision(reads) : Promise.resolve(spyDecision(reads))),
      peek: () => (answer === 'sync' ? spyDecision(reads) : Promise.resolve(spyDecision(reads))),
      refund: () => undefined,
      reset: () => undefined,
    }),
  };
}

for (const answer of ['sync', 'promise'] as const) {
  test(`no subscriber: no message is built (store answering ${answer === 'sync' ? 'synchronously' : 'with a promise'})`, async () => {
    for (const name of Object.values(CHANNELS)) assert.equal(channel(name).hasSubscribers, false, name);
    const reads: string[] = [];
    const limiter = new RateLimiter({
      policy: fixedWindow({ limit: 10, window: '1m' }),
      store: spyStore(reads, answer),
    });
    await limiter.limit('k');
    await limiter.peek('k');
    // Building a message reads the decision (its outcome, a set's limits): nobody listens, nothing was read.
    assert.equal(reads.length, 0, `read: ${reads.join()}`);

    // The spy sees it when someone listens.
    const events = await collect(async () => {
      await limiter.limit('k');
    });
    assert.equal(events.length, 1);
    assert.ok(reads.includes('allowed') && reads.includes('limits'), reads.join());
  });
}

test('observed, a MemoryStore decision reads no clock: its answers are not timed', async (t) => {
  const limiter = new RateLimiter({ policy: fixedWindow({ limit: 10, window: '1m' }), clock: () => 0 });
  const now = t.mock.method(performance, 'now');
  const events = await collect(async () => {
    await limiter.limit('k');
    await limiter.peek('k');
  });
  assert.equal(events.length, 2);
  assert.equal(now.mock.callCount(), 0);
});
