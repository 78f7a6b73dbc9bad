/**
 * Attack: one client hammering its own full sliding log stalled Redis for
 * everyone. The script read the whole list (LRANGE 0 -1) for every request,
 * denials included: 256 concurrent over-limit requests on one full key
 * (limit 10 000) delayed an unrelated PING by 0.5-1.4 s. Now a decision reads
 * a bounded number of elements: the work is counted here command by command
 * (MONITOR), not timed; bench/sliding-log-stall.ts measures the PING delay.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Redis } from 'ioredis';
import { RateLimiter, slidingLog } from '../../src/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { redisFixture } from '../support/redis-fixture.js';

const db = redisFixture();
const ENTRIES = 20_000;
const WINDOW_MS = 3_600_000;
const T0 = 1_900_000_000_000;

/** The list commands Redis runs while `work` runs, from MONITOR. */
async function listCommands(work: () => Promise<unknown>): Promise<string[][]> {
  const monitor = (await db.admin.monitor()) as unknown as Redis & NodeJS.EventEmitter;
  const seen: string[][] = [];
  monitor.on('monitor', (_time: string, args: string[]) => {
    if (/^(lrange|lindex|llen|ltrim|lset|rpush|lrem|del)$/i.test(args[0] ?? '')) seen.push(args);
  });
  try {
    await work();
    // MONITOR lines arrive after the replies; a PING through the monitored server flushes them.
    await db.admin.ping();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    monitor.disconnect();
  }
  return seen;
}

test('a full log of 20 000 entries: 256 concurrent denials read a few elements each', async () => {
  const store = new RedisStore({ client: db.client('ioredis').client, maxInFlight: 10_000 });
  let now = T0;
  const limiter = new RateLimiter({
    policy: slidingLog({ limit: ENTRIES, window: WINDOW_MS }),
    store,
    clock: () => now,
    onStoreError: 'throw',
  });
  // One entry per millisecond, 500 admissions per script call.
  for (let from = 0; from < ENTRIES; from += 500) {
    await Promise.all(
      Array.from({ length: 500 }, (_, i) => {
        now = T0 + from + i;
        return limiter.limit('hammered');
      }),
    );
  }
  now = T0 + ENTRIES;
  assert.equal((await limiter.peek('hammered')).allowed, false);

  const commands = await listCommands(async () => {
    const denials = await Promise.all(Array.from({ length: 256 }, () => limiter.limit('hammered')));
    assert.ok(denials.every((d) => !d.allowed && d.retryAfterMs === WINDOW_MS - ENTRIES));
  });
  // The sentinel and the oldest entry, and the newest: two reads per denial.
  assert.ok(commands.length <= 256 * 2, `${commands.length} list commands for 256 denials`);
  for (const args of commands) {
    if (args[0]?.toLowerCase() === 'lrange') {
      const span = Number(args[3]) - Number(args[2]) + 1;
      assert.ok(Number(args[3]) >= 0 && span <= 2, `reads ${args.join(' ')}`);
    }
    assert.ok(!/^(ltrim|lset|rpush|lrem|del)$/i.test(args[0] ?? ''), `a denial wrote: ${args.join(' ')}`);
  }
});

test('half the log expired: a peek gallops (O(log n) reads, no write), the next admission trims once', async () => {
  const store = new RedisStore({ client: db.client('ioredis').client, maxInFlight: 10_000 });
  let now = T0;
  const limiter = new RateLimiter({
    policy: slidingLog({ limit: ENTRIES, window: WINDOW_MS }),
    store,
    prefix: 'half',
    clock: () => now,
    onStoreError: 'throw',
  });
  for (let from = 0; from < ENTRIES; from += 500) {
    await Promise.all(
      Array.from({ length: 500 }, (_, i) => {
        now = T0 + from + i;
        return limiter.limit('k');
      }),
    );
  }
  // Entries 0..10 000 have left the window; 9 999 are live.
  now = T0 + WINDOW_MS + ENTRIES / 2;
  const peeked = await listCommands(async () => {
    assert.equal((await limiter.peek('k')).remaining, ENTRIES - (ENTRIES / 2 - 1) - 1);
  });
  const reads = peeked.filter((args) => /^lindex$/i.test(args[0] ?? '')).length;
  assert.ok(reads <= 2 * Math.ceil(Math.log2(ENTRIES)) + 2, `${reads} LINDEX for one peek`);
  assert.ok(
    peeked.every((args) => /^(lrange|lindex|llen)$/i.test(args[0] ?? '')),
    'a peek writes nothing',
  );
  const admitted = await listCommands(async () => {
    assert.equal((await limiter.limit('k')).remaining, ENTRIES - (ENTRIES / 2 - 1) - 1);
  });
  // One LTRIM drops the 10 001 entries that left; the last of them becomes the sentinel.
  assert.deepEqual(
    admitted.filter((args) => /^ltrim$/i.test(args[0] ?? '')).map((args) => args.slice(2)),
    [[String(ENTRIES / 2 + 1), '-1']],
  );
  // The sentinel, 9 999 live entries and the new one.
  assert.equal(await db.admin.llen('{half:k}:sl:3600000'), 1 + (ENTRIES / 2 - 1) + 1);
});
