/**
 * Limit sets on a real Redis Cluster (3 masters), both clients. With a
 * `hashTag` every key of a set shares one slot and one script decides the
 * whole set; without one, a set whose keys span slots is reserved slot by
 * slot and a denied set's reservations are released. Either way: the set
 * vectors replay exactly; random set traces agree with MemoryStore (clock
 * forward) and with the policy math (clock also back); and 3 processes on
 * overlapping sets (hashTag) admit exactly the binding limit, spending
 * nothing for denials.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { fixedWindow, MemoryStore, RateLimiter, type SetDecision, tokenBucket } from '../../src/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { CLIENT_KINDS, connectCluster, type TestClient } from '../support/redis-clients.js';
import { clusterFixture, keySlot } from '../support/redis-cluster.js';
import { redisCli } from '../support/redis-server.js';
import { hammerOverlappingSets } from '../support/set-hammer-run.js';
import { SetMath } from '../support/set-model.js';
import {
  anyAdvanceArb,
  applyOp,
  forwardArb,
  type KeyChoice,
  limiterTarget,
  limitsOption,
  mathTarget,
  opsArb,
  type SetTarget,
  setArb,
  startArb,
} from '../support/set-traces.js';
import { loadSetVectors, replaySetCase } from '../support/set-vectors.js';

const cluster = clusterFixture();

let prefixes = 0;
const RUNS = Number(process.env.FG_PROPERTY_RUNS ?? 40);

for (const kind of CLIENT_KINDS) {
  for (const tagged of [true, false]) {
    describe(`limit sets on Redis Cluster with ${kind}, ${tagged ? 'hashTag: one slot per set' : 'no hashTag: sets across slots'}`, () => {
      let connection: TestClient;
      before(async () => {
        connection = await connectCluster(kind, cluster.ports);
      });
      after(async () => {
        await connection.close();
      });

      test('replay every limit-set vector exactly', async () => {
        // Keys outlive their state by a day of real time, so the check of where they are finds them on a loaded machine.
        const store = new RedisStore({ client: connection.client, expiryMarginMs: 86_400_000 });
        let spanning = 0;
        for (const c of loadSetVectors()) {
          const prefix = `vec${prefixes++}`;
          const hashTag = tagged ? prefix : undefined;
          await replaySetCase(
            c,
            (limits, clock) =>
              new RateLimiter({
                limits,
                store,
                clock,
                hashTag,
                prefix,
                onStoreError: 'throw',
                timeoutMs: Number.POSITIVE_INFINITY,
              }),
          );
          if (tagged) {
            // Every key of the set is on the master that serves the tag's slot.
            const owner = cluster.masterOf(`{${prefix}}`);
            for (const port of cluster.ports) {
              const held = Number(redisCli(port, 'EVAL', `return #redis.call('KEYS', '{${prefix}}*')`, '0'));
              if (port === owner) assert.ok(held > 0, `no key of ${c.name} on its slot's master`);
              else assert.equal(held, 0, `a key of ${c.name} on another master`);
            }
          } else {
            const slots = new Set(
              c.steps.flatMap((step) =>
                typeof step.keys === 'string'
                  ? []
                  : Object.values(step.keys).map((key) => keySlot(`{${prefix}:${key}}`)),
              ),
            );
            if (slots.size > 1) spanning++;
          }
        }
        if (!tagged) assert.ok(spanning >= 3, `only ${spanning} cases span slots`);
      });

      test(`random set traces agree with MemoryStore (clock forward)${tagged ? ' and the policy math (clock also back)' : ''}`, async () => {
        const store = new RedisStore({ client: connection.client, expiryMarginMs: 86_400_000 });
        let checked = 0;
        const property = (withMemory: boolean) =>
          fc.asyncProperty(
            setArb,
            startArb,
            opsArb(withMemory ? forwardArb : anyAdvanceArb, 20),
            async (defs, start, ops) => {
              let now = start;
              const clock = (): number => now;
              const prefix = `diff${prefixes++}`;
              const limits = limitsOption(defs);
              const smallest = Math.min(...defs.map((def) => def.policy.limit));
              const expected: SetTarget = withMemory
                ? limiterTarget(defs, new RateLimiter({ limits, clock, store: new MemoryStore() }))
                : mathTarget(defs, new SetMath(defs), clock);
              const actual = limiterTarget(
                defs,
                new RateLimiter({
                  limits,
                  clock,
                  prefix,
                  hashTag: tagged ? prefix : undefined,
                  store,
                  onStoreError: 'throw',
                  timeoutMs: Number.POSITIVE_INFINITY,
                }),
              );
              const expectedHistory: { keys: KeyChoice; decision: SetDecision }[] = [];
              const actualHistory: { keys: KeyChoice; decision: SetDecision }[] = [];
              for (const [i, op] of ops.entries()) {
                now += op.advanceMs;
                const want = await applyOp(expected, op, smallest, expectedHistory);
                const got = await applyOp(actual, op, smallest, actualHistory);
                assert.deepEqual(got, want, `op ${i} at ${now}: ${JSON.stringify(op)}`);
                checked++;
              }
            },
          );
        await fc.assert(property(true), { numRuns: RUNS });
        // Across slots a denied set's reservations are released by refunds: exact on a forward clock,
        // but a caller whose clock is behind the reservation sees the bucket as of the reservation's
        // instant (a lag of backlog), and a window decides it in the reservation's window; the policy
        // math, which never commits a denied set, is the reference only where a set is one script.
        if (tagged) await fc.assert(property(false), { numRuns: RUNS });
        assert.ok(checked > 50, `only ${checked} operations checked`);
      });
    });
  }
}

test('a set across slots that is denied leaves nothing spent in a bucket counted in thirds of a ms (3 per second)', async () => {
  // The user's bucket is reserved first, the org (another slot) denies, the reservation is released.
  // At 3/s the release, computed from the reservation's rounded resetMs, gave back one tick (1/3 ms) too few.
  const connection = await connectCluster('ioredis', cluster.ports);
  try {
    const prefix = `release${prefixes++}`;
    assert.notEqual(keySlot(`{${prefix}:u2}`), keySlot(`{${prefix}:acme}`));
    const limiter = new RateLimiter({
      limits: { user: tokenBucket({ capacity: 2, refillPerSecond: 3 }), org: fixedWindow({ limit: 2, window: '1h' }) },
      store: new RedisStore({ client: connection.client, expiryMarginMs: 86_400_000 }),
      clock: () => 1_900_000_000_000,
      prefix,
      onStoreError: 'throw',
      timeoutMs: Number.POSITIVE_INFINITY,
    });
    assert.equal((await limiter.limit({ user: 'u1', org: 'acme' }, { cost: 2 })).allowed, true);
    assert.deepEqual((await limiter.limit({ user: 'u2', org: 'acme' }, { cost: 2 })).violated, ['org']);
    // u2's bucket is as new: a cost-2 request in another org is admitted at the same instant.
    const fresh = await limiter.limit({ user: 'u2', org: 'beta' }, { cost: 2 });
    assert.deepEqual([fresh.allowed, fresh.retryAfterMs], [true, 0], JSON.stringify(fresh.limits.user));
  } finally {
    await connection.close();
  }
});

test('3 processes × 600 concurrent requests on overlapping sets (hashTag) admit exactly the binding limit, spending nothing for denials', async () => {
  const reader = await connectCluster('ioredis', cluster.ports);
  try {
    await hammerOverlappingSets({
      target: `cluster:${cluster.ports.join(',')}`,
      kinds: ['ioredis', 'node-redis', 'ioredis'],
      calls: 600,
      prefix: 'sets-hammer',
      hashTag: 'tenant-acme',
      store: new RedisStore({ client: reader.client }),
    });
  } finally {
    await reader.close();
  }
});
