/**
 * Per-limit costs (`limit(keys, { cost: { requests: 1, tokens: 500 } })`):
 * what a record must hold and the errors that say so, a request decided all
 * or nothing with each limit admitting its own cost, refunds by record, and
 * the denial cache keeping one denial per record. The exact decisions against
 * the reference model are in oracle.test.ts; the same traces on Redis and the
 * cluster in test/redis/limit-sets*.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixedWindow, MemoryStore, RateLimiter, tokenBucket } from '../../src/index.js';

const T0 = 1_900_000_000_000;

function llmLimiter(options: { denialCache?: boolean } = {}) {
  let now = T0;
  const limiter = new RateLimiter({
    limits: {
      requests: fixedWindow({ limit: 3, window: '1m' }),
      tokens: fixedWindow({ limit: 1000, window: '1m' }),
    },
    store: new MemoryStore(),
    clock: () => now,
    ...options,
  });
  return { limiter, advance: (ms: number) => (now += ms) };
}

test('a cost record must name every limit and only those: the error lists what was missing and what is unknown', async () => {
  const { limiter } = llmLimiter();
  await assert.rejects(limiter.limit('u', { cost: { requests: 1 } as never }), (error: Error) => {
    assert.equal((error as { code?: string }).code, 'FG_COST_RECORD_INVALID');
    assert.match(error.message, /no cost for tokens/);
    assert.match(error.message, /\{ requests: …, tokens: … \}/);
    return true;
  });
  await assert.rejects(limiter.limit('u', { cost: { requests: 1, tokens: 1, images: 2 } as never }), (error: Error) => {
    assert.equal((error as { code?: string }).code, 'FG_COST_RECORD_INVALID');
    assert.match(error.message, /no limit named images/);
    return true;
  });
  await assert.rejects(limiter.refund('u', { cost: { tokens: 1 } as never }), { code: 'FG_COST_RECORD_INVALID' });
});

test('each cost of a record is a whole number from 0 to its own limit, named in the error', async () => {
  const { limiter } = llmLimiter();
  for (const bad of [-1, 1.5, Number.NaN, '2', null]) {
    await assert.rejects(limiter.limit('u', { cost: { requests: 1, tokens: bad as never } }), (error: Error) => {
      assert.equal((error as { code?: string }).code, 'FG_COST_INVALID');
      assert.ok(error.message.startsWith('cost.tokens: received'), error.message);
      return true;
    });
  }
  // Above the smallest limit is fine where the limit itself allows it: each limit is checked against its own.
  assert.equal((await limiter.limit('u', { cost: { requests: 1, tokens: 999 } })).allowed, true);
  await assert.rejects(limiter.limit('u', { cost: { requests: 4, tokens: 1 } }), (error: Error) => {
    assert.ok(error instanceof RangeError);
    assert.equal((error as { code?: string }).code, 'FG_COST_EXCEEDS_LIMIT');
    assert.match(error.message, /cost\.requests 4 exceeds its limit of 3/);
    return true;
  });
});

test('a limiter with one policy takes one number, not a record', async () => {
  const limiter = new RateLimiter({ policy: fixedWindow({ limit: 3, window: '1m' }), store: new MemoryStore() });
  await assert.rejects(limiter.limit('u', { cost: { default: 1 } as never }), (error: Error) => {
    assert.equal((error as { code?: string }).code, 'FG_COST_INVALID');
    assert.match(error.message, /expected a positive whole number$|expected a positive whole number \[/);
    return true;
  });
});

test('each limit admits its own cost, all or nothing: a request over its token budget spends no request', async () => {
  const { limiter } = llmLimiter();
  const first = await limiter.limit('u', { cost: { requests: 1, tokens: 600 } });
  assert.equal(first.allowed, true);
  assert.equal(first.limits.requests.remaining, 2);
  assert.equal(first.limits.tokens.remaining, 400);
  assert.equal(first.limits.requests.spent, 1);
  assert.equal(first.limits.tokens.spent, 600);
  const second = await limiter.limit('u', { cost: { requests: 1, tokens: 600 } });
  assert.equal(second.allowed, false);
  assert.deepEqual(second.violated, ['tokens']);
  // Denied: nothing spent anywhere, the requests limit reports its state as it is.
  assert.equal(second.limits.requests.remaining, 2);
  assert.equal(second.limits.requests.spent, 0);
  // 0: the request does not count in that limit (and that limit never denies it).
  const free = await limiter.limit('u', { cost: { requests: 0, tokens: 400 } });
  assert.equal(free.allowed, true);
  assert.equal(free.limits.requests.remaining, 2);
  assert.equal(free.limits.tokens.remaining, 0);
});

test('a record whose costs are all the same decides exactly as that one cost', async () => {
  const a = llmLimiter();
  const b = llmLimiter();
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(
      await a.limiter.limit('u', { cost: { requests: 2, tokens: 2 } }),
      await b.limiter.limit('u', { cost: 2 }),
    );
  }
});

test('refund by record gives back each limit its own units, never more than it spent there', async () => {
  const { limiter } = llmLimiter();
  const d = await limiter.limit('u', { cost: { requests: 1, tokens: 800 } });
  // Reserve-then-settle: the call used 300 tokens, give back the other 500 and keep the request counted.
  await limiter.refund('u', { cost: { requests: 0, tokens: 500 }, decision: d });
  // (A peek reports what a cost-1 request would leave.)
  let now = await limiter.peek('u');
  assert.equal(now.limits.requests.remaining, 1);
  assert.equal(now.limits.tokens.remaining, 699);
  // Asking for more than is left of the admission gives back only what is left (300 tokens, 1 request).
  await limiter.refund('u', { cost: { requests: 3, tokens: 1000 }, decision: d });
  now = await limiter.peek('u');
  assert.equal(now.limits.requests.remaining, 2);
  assert.equal(now.limits.tokens.remaining, 999);
});

test('the denial cache answers a denial only for the same cost record', async () => {
  const { limiter } = llmLimiter({ denialCache: true });
  await limiter.limit('u', { cost: { requests: 1, tokens: 900 } });
  const denied = await limiter.limit('u', { cost: { requests: 1, tokens: 200 } });
  assert.equal(denied.allowed, false);
  assert.equal((await limiter.limit('u', { cost: { requests: 1, tokens: 200 } })).allowed, false);
  // Another record has another answer: the store admits it.
  const smaller = await limiter.limit('u', { cost: { requests: 1, tokens: 100 } });
  assert.equal(smaller.allowed, true);
  assert.equal(smaller.limits.tokens.remaining, 0);
});

test('a sharded set checks each cost against its limit’s smallest shard', async () => {
  const limiter = new RateLimiter({
    limits: { user: tokenBucket({ capacity: 10, refillPerSecond: 1 }), org: fixedWindow({ limit: 7, window: '1m' }) },
    shards: 2,
    store: new MemoryStore(),
  });
  await assert.rejects(
    limiter.limit('k', { cost: { user: 1, org: 4 } }),
    /cost\.org 4 exceeds its smallest shard's limit of 3/,
  );
  assert.equal((await limiter.limit('k', { cost: { user: 5, org: 3 } })).allowed, true);
});
