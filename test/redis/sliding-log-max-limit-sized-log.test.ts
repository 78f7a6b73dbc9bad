/**
 * Attack: a sliding log at its largest (MAX_LOG_LIMIT units, one entry per
 * unit, each at its own instant) driven through what reads far into it: a
 * denial of the full log, a refund of its oldest admission (the walk from
 * the newest entry to the first), a refund of one in the middle, admissions
 * that trim a few and then half of it (the galloping search), a denial that
 * waits for many units (the scan), peeks; on Redis and in memory, every
 * decision the same.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Decision, MemoryStore, RateLimiter, slidingLog } from '../../src/index.js';
import { MAX_LOG_LIMIT } from '../../src/policies/sliding-log.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { redisFixture } from '../support/redis-fixture.js';
import { decisionFields } from '../support/same-as-memory.js';

const db = redisFixture();
const T0 = 1_900_000_000_000;
const WINDOW_MS = 10_000_000;
const BATCH = 2_000;

test('a log of MAX_LOG_LIMIT entries decides as memory through refunds, trims and long denials', async () => {
  let now = T0;
  const options = {
    policy: slidingLog({ limit: MAX_LOG_LIMIT, window: WINDOW_MS }),
    prefix: 'maxlog',
    clock: () => now,
    onStoreError: 'throw' as const,
    timeoutMs: Number.POSITIVE_INFINITY,
  };
  const redis = new RateLimiter({
    ...options,
    store: new RedisStore({ client: db.client('ioredis').client, maxInFlight: 100_000 }),
  });
  const memory = new RateLimiter({ ...options, store: new MemoryStore() });
  const remote: Decision[] = [];
  const local: Decision[] = [];
  // One unit at each of T0 .. T0 + MAX_LOG_LIMIT - 1, sent BATCH at a time (each request reads the clock
  // when it is made: its own instant).
  for (let i = 0; i < MAX_LOG_LIMIT; i += BATCH) {
    const calls: Promise<Decision>[] = [];
    for (let j = i; j < i + BATCH; j++) {
      now = T0 + j;
      calls.push(redis.limit('k'));
      local.push(await memory.limit('k'));
    }
    remote.push(...(await Promise.all(calls)));
  }
  assert.ok(remote.every((d) => d.allowed));
  assert.deepEqual(remote.map(decisionFields), local.map(decisionFields));
  const [key] = await db.admin.keys('{maxlog:k}*');
  assert.equal(await db.admin.llen(key as string), MAX_LOG_LIMIT + 1);

  const same = async (what: string, step: (limiter: RateLimiter, decisions: Decision[]) => Promise<unknown>) => {
    const r = await step(redis, remote);
    const m = await step(memory, local);
    assert.deepEqual(
      r === undefined ? r : decisionFields(r as Decision),
      m === undefined ? m : decisionFields(m as Decision),
      what,
    );
  };
  now = T0 + MAX_LOG_LIMIT + 5;
  await same('full: denied', (l) => l.limit('k'));
  await same('full: peek', (l) => l.peek('k'));
  await same('refund of the oldest admission', (l, d) => l.refund('k', { decision: d[0] as Decision }));
  await same('one unit free', (l) => l.limit('k'));
  await same('full again', (l) => l.limit('k'));
  await same('refund in the middle', (l, d) => l.refund('k', { decision: d[MAX_LOG_LIMIT / 2] as Decision }));
  await same('peek after it', (l) => l.peek('k'));
  // Entries at T0 .. T0 + 2 leave the window: an admission trims them.
  now = T0 + WINDOW_MS + 2;
  await same('a few left: admitted, trimmed', (l) => l.limit('k', { cost: 2 }));
  await same('denial waiting for 40 000 units', (l) => l.limit('k', { cost: 40_000 }));
  // Half the log left the window.
  now = T0 + WINDOW_MS + MAX_LOG_LIMIT / 2;
  await same('half left: admitted, trimmed', (l) => l.limit('k', { cost: 3 }));
  await same('peek after half', (l) => l.peek('k'));
  await same('refund of a trimmed admission', (l, d) => l.refund('k', { decision: d[10] as Decision }));
  await same('refund of the latest', (l) => l.refund('k', { cost: 2 }));
  await same('denial for all', (l) => l.limit('k', { cost: MAX_LOG_LIMIT }));
  await same('peek at the end', (l) => l.peek('k'));
});
