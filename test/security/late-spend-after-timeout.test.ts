/**
 * Attack (fault): a request already answered by the failure policy is spent
 * later. When a call times out, its EVALSHA still waits in the client's queue
 * and runs when Redis wakes up: 60 requests refused (fail closed) during
 * DEBUG SLEEP were spent afterwards, and with the clients' default offline
 * queue, the requests refused during a restart were spent after it. Every
 * script call carries its callers' deadline on the server's clock and commits
 * nothing once it has passed.
 *
 * Timing decides only which calls time out; the invariant checked is exact
 * whatever the machine's load: the units spent are the units of the
 * decisions that came back from the store, admitted, and nothing else. Where
 * the test holds the server down until every decision is in (a pause, a
 * kill), every decision is the failure policy's and nothing is spent.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { type Decision, RateLimiter, tokenBucket } from '../../src/index.js';
import { type RedisClientLike, RedisStore } from '../../src/stores/redis/index.js';
import { CLIENT_KINDS, type ClientKind } from '../support/redis-clients.js';
import { ownRedis } from '../support/redis-fixture.js';

const CAPACITY = 100;
const CALLS = 60;
const policy = tokenBucket({ capacity: CAPACITY, refillPerSecond: 1 / 3600 });

interface Client {
  client: RedisClientLike;
  ping(): Promise<unknown>;
  close(): void;
}

/** A client with the library's default options: offline queue on, reconnecting on its own. */
async function defaultClient(kind: ClientKind, url: string): Promise<Client> {
  if (kind === 'ioredis') {
    const io = new Redis(url);
    await new Promise((resolve) => io.once('ready', resolve));
    return { client: io, ping: () => io.ping(), close: () => io.disconnect() };
  }
  const node = createClient({ url });
  await node.connect();
  return { client: node, ping: () => node.ping(), close: () => node.destroy() };
}

function ready(client: RedisClientLike): Promise<void> {
  return new Promise((resolve) => (client as unknown as NodeJS.EventEmitter).once('ready', () => resolve()));
}

/** A fail-closed limiter on `client`, made before any fault, as an application's is. */
function failClosed(client: RedisClientLike): RateLimiter {
  return new RateLimiter({
    policy,
    store: new RedisStore({ client }),
    onStoreError: 'deny',
    timeoutMs: 50,
    logger: false,
  });
}

/** Fires CALLS decisions on `key` in one tick. */
function burst(limiter: RateLimiter, key: string): Promise<Decision[]> {
  return Promise.all(Array.from({ length: CALLS }, () => limiter.limit(key)));
}

/**
 * Units spent on `key`, read once every queued command of `c` has run (the
 * ping goes after them). A client that drops its fresh connection once more
 * (node-redis on a loaded machine) is waited for: that is not what is tested.
 */
async function spent(c: Client, key: string): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    try {
      // The client queues the ping until it is connected again.
      await c.ping();
      break;
    } catch (error) {
      if (attempt >= 5) throw error;
    }
  }
  const reader = new RateLimiter({ policy, store: new RedisStore({ client: c.client }), onStoreError: 'throw' });
  return CAPACITY - (await reader.peek(key)).remaining - 1;
}

function realAdmissions(decisions: Decision[]): number {
  return decisions.filter((d) => d.allowed && !d.degraded).length;
}

for (const kind of CLIENT_KINDS) {
  describe(`late spend with ${kind}`, () => {
    const own = ownRedis();

    test('CLIENT PAUSE WRITE: 60 refused while paused, none spent after the pause', async () => {
      const c = await defaultClient(kind, own.server.url);
      // The store exists before the fault: it is what listens for node-redis's 'error' events.
      const limiter = failClosed(c.client);
      try {
        await own.admin.call('CLIENT', 'PAUSE', '60000', 'WRITE');
        const decisions = await burst(limiter, 'paused');
        await own.admin.call('CLIENT', 'UNPAUSE');
        assert.deepEqual(
          decisions.map((d) => [d.allowed, d.degraded]),
          decisions.map(() => [false, true]),
        );
        assert.equal(await spent(c, 'paused'), 0);
      } finally {
        c.close();
      }
    });

    test('DEBUG SLEEP: only the decisions that came back admitted are spent', async () => {
      const c = await defaultClient(kind, own.server.url);
      // The store exists before the fault: it is what listens for node-redis's 'error' events.
      const limiter = failClosed(c.client);
      try {
        const sleeping = own.admin.call('DEBUG', 'SLEEP', '0.5');
        const decisions = await burst(limiter, 'asleep');
        await sleeping;
        assert.equal(await spent(c, 'asleep'), realAdmissions(decisions));
      } finally {
        c.close();
      }
    });

    test('kill -9 and restart with the offline queue on: the queued calls run after it and spend nothing', async () => {
      const c = await defaultClient(kind, own.server.url);
      // The store exists before the fault: it is what listens for node-redis's 'error' events.
      const limiter = failClosed(c.client);
      try {
        own.admin.disconnect();
        await own.server.stop();
        const decisions = await burst(limiter, 'restarted');
        assert.ok(decisions.every((d) => d.degraded && !d.allowed));
        const back = ready(c.client);
        await own.server.restart();
        await back;
        own.admin = new Redis(own.server.url);
        // The offline queue is sent on reconnection, before the ping.
        assert.equal(await spent(c, 'restarted'), 0);
      } finally {
        c.close();
      }
    });
  });
}
