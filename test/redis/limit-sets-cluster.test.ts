/**
 * Limit sets on a real Redis Cluster (3 masters), both clients, with a
 * `hashTag` so that every key of a set shares one slot and one script decides
 * the whole set: the set vectors replay exactly; random set traces agree with
 * MemoryStore (clock forward) and with the policy math (clock also back); and
 * 3 processes on overlapping sets admit exactly the binding limit, spending
 * nothing for denials.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { MemoryStore, RateLimiter, type SetDecision } from '../../src/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { CLIENT_KINDS, connectCluster, type TestClient } from '../support/redis-clients.js';
import { type RedisCluster, startCluster } from '../support/redis-cluster.js';
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

let cluster: RedisCluster;
before(async () => {
  cluster = await startCluster();
});
after(async () => {
  await cluster.stop();
});

let prefixes = 0;
const RUNS = Number(process.env.FG_PROPERTY_RUNS ?? 40);

for (const kind of CLIENT_KINDS) {
  describe(`limit sets on Redis Cluster with ${kind}, hashTag`, () => {
    let connection: TestClient;
    before(async () => {
      connection = await connectCluster(kind, cluster.ports);
    });
    after(async () => {
      await connection.close();
    });

    test('replay every limit-set vector exactly, each set on one slot', async () => {
      const store = new RedisStore({ client: connection.client });
      for (const c of loadSetVectors()) {
        const hashTag = `vec${prefixes++}`;
        await replaySetCase(
          c,
          (limits, clock) => new RateLimiter({ limits, store, clock, hashTag, prefix: 'p', onStoreError: 'throw' }),
        );
        // Every key of the set is on the master that serves the tag's slot.
        const owner = cluster.masterOf(`{${hashTag}}`);
        for (const port of cluster.ports) {
          const held = Number(redisCli(port, 'EVAL', `return #redis.call('KEYS', '{${hashTag}}*')`, '0'));
          if (port === owner) assert.ok(held > 0, `no key of ${c.name} on its slot's master`);
          else assert.equal(held, 0, `a key of ${c.name} on another master`);
        }
      }
    });

    test('random set traces agree with MemoryStore (clock forward) and the policy math (clock also back)', async () => {
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
            const hashTag = `diff${prefixes++}`;
            const limits = limitsOption(defs);
            const smallest = Math.min(...defs.map((def) => def.policy.limit));
            const expected: SetTarget = withMemory
              ? limiterTarget(defs, new RateLimiter({ limits, clock, store: new MemoryStore() }))
              : mathTarget(defs, new SetMath(defs), clock);
            const actual = limiterTarget(
              defs,
              new RateLimiter({ limits, clock, hashTag, store, onStoreError: 'throw' }),
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
      await fc.assert(property(false), { numRuns: RUNS });
      assert.ok(checked > 50, `only ${checked} operations checked`);
    });
  });
}

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
