/**
 * MemoryStore: bounded by maxKeys with LRU eviction, `size` readable, reset,
 * expired state reclaimed as the store is used (no timers), and the botnet
 * case (a million keys) in a child process with a forced GC.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  fixedWindow,
  leakyBucket,
  MemoryStore,
  type Policy,
  RateLimiter,
  slidingLog,
  slidingWindow,
  tokenBucket,
} from '../src/index.js';
import { RECLAIM_MARGIN_MS } from '../src/stores/memory.js';

const T0 = 1_767_225_600_000;

function setup(policy: Policy, maxKeys?: number) {
  const clock = { now: T0 };
  const store = new MemoryStore(maxKeys === undefined ? {} : { maxKeys });
  const limiter = new RateLimiter({ policy, store, clock: () => clock.now });
  return { clock, store, limiter };
}

const POLICIES: [string, () => Policy][] = [
  ['fixedWindow', () => fixedWindow({ limit: 1, window: '1h' })],
  ['slidingLog', () => slidingLog({ limit: 1, window: '1h' })],
  ['slidingWindow', () => slidingWindow({ limit: 1, window: '1h' })],
  ['tokenBucket', () => tokenBucket({ capacity: 1, refillPerSecond: 1 / 3600 })],
  ['leakyBucket', () => leakyBucket({ capacity: 1, leakPerSecond: 1 / 3600 })],
];

describe('maxKeys evicts the least recently used key', () => {
  for (const [name, make] of POLICIES) {
    test(name, async () => {
      const { store, limiter } = setup(make(), 3);
      for (const key of ['a', 'b', 'c']) assert.equal((await limiter.limit(key)).allowed, true);
      assert.equal(store.size, 3);
      // Using a (even denied) makes it recent; b is now the least recently used. Peeks do not count.
      assert.equal((await limiter.limit('a')).allowed, false);
      assert.equal((await limiter.peek('b')).allowed, false);
      assert.equal((await limiter.limit('d')).allowed, true);
      assert.equal(store.size, 3);
      // b was evicted and starts fresh, the others kept their state.
      assert.equal((await limiter.peek('b')).allowed, true);
      assert.equal((await limiter.peek('a')).allowed, false);
      assert.equal((await limiter.peek('c')).allowed, false);
      assert.equal((await limiter.peek('d')).allowed, false);
      assert.equal((await limiter.limit('b')).allowed, true);
      // b took the slot of c (now least recently used): c starts fresh, with an empty state.
      assert.equal(store.size, 3);
      const c = await limiter.limit('c');
      assert.deepEqual([c.allowed, c.remaining], [true, 0]);
    });
  }

  test('maxKeys: 1 keeps only the last key', async () => {
    const { store, limiter } = setup(slidingLog({ limit: 2, window: '1h' }), 1);
    await limiter.limit('a', { cost: 2 });
    assert.equal((await limiter.limit('b')).remaining, 1);
    assert.equal(store.size, 1);
    assert.equal((await limiter.limit('a')).remaining, 1, 'a was evicted: its log starts empty');
  });
});

describe('size, reset and clear', () => {
  test('size counts the keys of every limiter on the store; reset forgets one key', async () => {
    const store = new MemoryStore();
    const now = () => T0;
    const first = new RateLimiter({ policy: fixedWindow({ limit: 2, window: '1m' }), store, clock: now });
    const second = new RateLimiter({ policy: tokenBucket({ capacity: 2, refillPerSecond: 1 }), store, clock: now });
    assert.equal(store.size, 0);
    await first.limit('a', { cost: 2 });
    await first.limit('b');
    await second.limit('a');
    await first.peek('never-seen');
    assert.equal(store.size, 3, 'peek stores nothing');
    assert.equal((await first.limit('a')).allowed, false);
    await first.reset('a');
    assert.equal(store.size, 2);
    assert.deepEqual([(await first.peek('a')).remaining, (await second.peek('a')).remaining], [1, 0]);
    await first.reset('never-seen');
    assert.equal(store.size, 2);
    assert.equal((await first.limit('a', { cost: 2 })).allowed, true);
    store.clear();
    assert.equal(store.size, 0);
    assert.equal((await first.limit('a', { cost: 2 })).allowed, true, 'a cleared key starts fresh');
    assert.equal(store.size, 1);
  });

  test('reset of every shard of a key', async () => {
    const { store, limiter } = setup(fixedWindow({ limit: 4, window: '1h' }));
    const sharded = new RateLimiter({
      policy: fixedWindow({ limit: 4, window: '1h' }),
      store,
      shards: 2,
      clock: () => T0,
    });
    await sharded.limit('k', { shardKey: 'x', cost: 2 });
    await sharded.limit('k', { shardKey: 'y', cost: 2 });
    await limiter.limit('k');
    assert.ok(store.size >= 2);
    await sharded.reset('k');
    assert.equal(store.size, 1, 'only the unsharded limiter keeps k');
  });
});

describe('expired state is reclaimed as the store is used, without timers', () => {
  for (const [name, policy] of [
    ['fixedWindow', fixedWindow({ limit: 5, window: 1000 })],
    ['slidingLog', slidingLog({ limit: 5, window: 1000 })],
    ['slidingWindow', slidingWindow({ limit: 5, window: 1000 })],
    ['tokenBucket', tokenBucket({ capacity: 5, refillPerSecond: 5 })],
    ['leakyBucket', leakyBucket({ capacity: 5, leakPerSecond: 5 })],
  ] as const) {
    test(name, async () => {
      const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
      const { clock, store, limiter } = setup(policy);
      const first = await limiter.limit('idle-0');
      for (let i = 1; i < 10; i++) await limiter.limit(`idle-${i}`);
      assert.equal(store.size, 10);
      assert.equal(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length, before, 'no timer per key');
      // Keys outlive their state by RECLAIM_MARGIN_MS. One ms before that: nothing is reclaimed.
      clock.now = T0 + first.resetMs + RECLAIM_MARGIN_MS - 1;
      for (let i = 0; i < 5; i++) await limiter.limit('busy');
      assert.equal(store.size, 11);
      // From then on, each call reclaims a few; the busy key stays.
      clock.now = T0 + first.resetMs + RECLAIM_MARGIN_MS;
      const sizes: number[] = [];
      for (let i = 0; i < 6; i++) {
        await limiter.peek('busy');
        await limiter.reset('nobody');
        sizes.push(store.size);
      }
      assert.deepEqual(sizes, [11, 11, 11, 11, 11, 11], 'peek and reset reclaim nothing');
      for (let i = 0; i < 6; i++) {
        clock.now += 1000;
        await limiter.limit('busy');
        sizes.push(store.size);
      }
      // The store reclaims by the median of its last three readings: the first call at the
      // later time is outvoted, then each call reclaims two.
      assert.deepEqual(sizes.slice(6), [11, 9, 7, 5, 3, 1]);
      // A reclaimed key is a new key.
      assert.equal((await limiter.peek('idle-0')).remaining, 4);
    });
  }

  test('regression: a clock that went backwards cannot get a key reclaimed early (minting capacity)', async () => {
    // Key a spends 2 of 3 in window [1000, 2000); the clock jumps back to 500 and a spends the third.
    // Its state must live until 2000: another key's traffic at 1600 must not reclaim it.
    const { clock, limiter } = setup(fixedWindow({ limit: 3, window: 1000 }));
    let admitted = 0;
    for (const t of [1000, 1001, 500, 1600, 1600, 1600]) {
      clock.now = T0 + t;
      if (t === 1600) await limiter.limit(`other-${admitted}`);
      if ((await limiter.limit('a')).allowed) admitted++;
    }
    assert.equal(admitted, 3);
  });
});

test('regression: a key reclaimed before the clock stepped back does not start full again', async () => {
  // a is admitted at 10 and denied at 13 (window [9, 18)); b's traffic at 18 comes when a's state
  // has just expired; then the clock steps back to 17, still inside a's window, where a is denied.
  const { clock, limiter } = setup(fixedWindow({ limit: 1, window: 9 }));
  const decide = async (t: number, key: string) => {
    clock.now = T0 + t;
    return (await limiter.limit(key)).allowed;
  };
  assert.equal(await decide(10, 'a'), true);
  assert.equal(await decide(13, 'a'), false);
  assert.equal(await decide(18, 'b'), true);
  assert.equal(await decide(17, 'a'), false);
});

describe('the botnet case', () => {
  test('1,000,000 distinct keys with maxKeys 50,000: size and heap stay bounded', () => {
    const script = join(dirname(fileURLToPath(import.meta.url)), 'support', 'botnet.ts');
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', script, '1000000'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    const result = JSON.parse(out.trim().split('\n').pop() as string) as Record<string, number>;
    assert.equal(result.keys, 1_000_000);
    assert.equal(result.admitted, 1_000_000, 'every distinct key is new');
    assert.ok((result.maxSize as number) <= 50_000, `size peaked at ${result.maxSize}`);
    assert.equal(result.size, 50_000);
    assert.ok((result.heapGrowthBytes as number) < 60 * 2 ** 20, `heap grew ${result.heapGrowthBytes} bytes`);
    assert.equal(result.newestRemaining, 8, 'the newest key is still held');
    assert.equal(result.oldestRemaining, 9, 'the first key was evicted: it starts fresh');
  });
});

test('regression: a sliding log of one entry costs no object per key (517 bytes a key at 1M keys, now ~110)', () => {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'support', 'log-heap.ts');
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', script, '200000'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  const { bytesPerKey } = JSON.parse(out.trim().split('\n').pop() as string) as { bytesPerKey: number };
  // The key string, the index entry, the LRU links, the expiry and the inline entry: ~110 bytes.
  assert.ok(bytesPerKey <= 150, `${bytesPerKey} bytes per key`);
});
