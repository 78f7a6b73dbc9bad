/**
 * A set decides in one pass on Redis: each limit commits as it admits, and
 * when a later enforced limit denies, what the earlier ones committed is
 * undone inside the script. Undone means never written: a denied set leaves
 * every key's value and expiry exactly as they were and sends no write at
 * all (a tentative commit that leaked would rewrite a key, moving its TTL or
 * spending a unit), whichever limit denies and in both state encodings.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  fixedWindow,
  type Policy,
  RateLimiter,
  type SetDecision,
  slidingWindow,
  tokenBucket,
} from '../../src/index.js';
import { RedisStore, type StateEncoding } from '../../src/stores/redis/index.js';
import { redisFixture } from '../support/redis-fixture.js';
import { FUTURE_EPOCH_MS } from '../support/vectors.js';

const db = redisFixture();

/** The limit that binds after two admissions, at `position` among three that never bind. */
function limitsWithBinding(position: number): Record<string, Policy | { policy: Policy; mode: 'shadow' }> {
  const roomy: [string, Policy | { policy: Policy; mode: 'shadow' }][] = [
    // A shadow limit first: it commits as it admits, and must be undone like the others.
    ['watch', { policy: fixedWindow({ limit: 1000, window: '1h' }), mode: 'shadow' }],
    ['user', slidingWindow({ limit: 1000, window: '1h' })],
    ['org', tokenBucket({ capacity: 1000, refillPerSecond: 1 })],
  ];
  roomy.splice(position, 0, ['global', tokenBucket({ capacity: 2, refillPerSecond: 1 })]);
  return Object.fromEntries(roomy);
}

/** Every key of `prefix` with its raw value and absolute expiry. */
async function snapshot(prefix: string): Promise<Record<string, [string | null, number]>> {
  const keys = (await db.admin.keys(`*${prefix}*`)).sort();
  const out: Record<string, [string | null, number]> = {};
  for (const key of keys) {
    out[key] = [await db.admin.get(key), Number(await db.admin.call('PEXPIRETIME', key))];
  }
  return out;
}

async function writesSinceReset(): Promise<number> {
  const stats = await db.admin.info('commandstats');
  const found = /cmdstat_set:calls=(\d+)/.exec(stats);
  return found ? Number(found[1]) : 0;
}

for (const encoding of ['expiry', 'value'] as const satisfies readonly StateEncoding[]) {
  describe(`a denied set writes nothing (${encoding} encoding)`, () => {
    for (const position of [0, 1, 3]) {
      test(`the binding limit at position ${position + 1} of 4`, async () => {
        const prefix = `undo-${encoding}-${position}`;
        const nowMs = FUTURE_EPOCH_MS;
        const limiter = new RateLimiter({
          limits: limitsWithBinding(position),
          store: new RedisStore({ client: db.client('ioredis').client, encoding }),
          prefix,
          clock: () => nowMs,
          onStoreError: 'throw',
        });
        for (let i = 0; i < 2; i++) assert.equal((await limiter.limit('k')).allowed, true);
        const before = await snapshot(prefix);
        assert.equal(Object.keys(before).length, 4);
        await db.admin.config('RESETSTAT');
        const denied = (await limiter.limit('k')) as SetDecision<string>;
        assert.equal(denied.allowed, false);
        assert.deepEqual(denied.violated, ['global']);
        assert.equal(denied.spent, 0);
        for (const [name, one] of Object.entries(denied.limits)) {
          assert.equal(one.spent, 0, name);
          if (name !== 'global') assert.equal(one.remaining, 998, name);
        }
        assert.equal(await writesSinceReset(), 0);
        assert.deepEqual(await snapshot(prefix), before);
        // And the set still admits what every limit has room for: nothing was lost either.
        const peek = (await limiter.peek('k')) as SetDecision<string>;
        assert.equal(peek.limits.user?.remaining, 998);
      });
    }
  });
}
