/**
 * The failure policy against a real Redis that is paused, killed and
 * restarted: decisions keep coming within timeoutMs (degraded, per
 * onStoreError), real ones return after the restart, and nothing escapes as
 * an unhandled rejection or an uncaught 'error' event.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { type Decision, RateLimiter, StoreTimeoutError, tokenBucket } from '../../src/index.js';
import { type RedisClientLike, RedisStore } from '../../src/stores/redis/index.js';
import { CLIENT_KINDS, connectClient } from '../support/redis-clients.js';
import { type RedisServer, redisCli, startRedis } from '../support/redis-server.js';

const TIMEOUT_MS = 150;
// Scheduling slack on a busy 2-core CI machine. Without the timeout, a paused call would take 1.5 s.
const SLACK_MS = 400;

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};
before(() => {
  process.on('unhandledRejection', onUnhandled);
});
after(() => {
  process.off('unhandledRejection', onUnhandled);
});

interface Limiters {
  allow: RateLimiter;
  deny: RateLimiter;
  throws: RateLimiter;
}

function limiters(client: RedisClientLike): Limiters {
  const store = new RedisStore({ client });
  const policy = tokenBucket({ capacity: 100, refillPerSecond: 10 });
  const make = (onStoreError: 'allow' | 'deny' | 'throw') =>
    new RateLimiter({ policy, store, onStoreError, timeoutMs: TIMEOUT_MS });
  return { allow: make('allow'), deny: make('deny'), throws: make('throw') };
}

async function timed<T>(work: Promise<T>): Promise<{ value: T; elapsedMs: number }> {
  const start = performance.now();
  const value = await work;
  return { value, elapsedMs: performance.now() - start };
}

/** All three failure policies decide within timeoutMs, degraded. */
async function assertDegraded(l: Limiters, what: string): Promise<void> {
  const [allow, deny, thrown] = await Promise.all([
    timed(l.allow.limit('k')),
    timed(l.deny.limit('k')),
    timed(
      l.throws.limit('k').then(
        () => undefined,
        (error: unknown) => error,
      ),
    ),
  ]);
  for (const { elapsedMs } of [allow, deny, thrown]) {
    assert.ok(elapsedMs < TIMEOUT_MS + SLACK_MS, `${what}: took ${elapsedMs} ms`);
  }
  assert.deepEqual(
    [allow.value.allowed, allow.value.degraded, deny.value.allowed, deny.value.degraded],
    [true, true, false, true],
    what,
  );
  assert.equal(deny.value.retryAfterMs, 10_000, `${what}: fail closed waits one full refill`);
  assert.ok(thrown.value instanceof Error, `${what}: onStoreError 'throw' rejects`);
}

/** Polls until the store answers for real again; returns that decision. */
async function recovered(l: Limiters, withinMs: number): Promise<Decision> {
  const deadline = performance.now() + withinMs;
  for (;;) {
    const d = await l.allow.limit('k');
    if (!d.degraded || performance.now() > deadline) return d;
    await delay(25);
  }
}

for (const kind of CLIENT_KINDS) {
  describe(`failure policy with ${kind}`, () => {
    let server: RedisServer;
    before(async () => {
      server = await startRedis({ own: true });
    });
    after(async () => {
      await server.stop();
    });

    test('paused, killed, restarted: degraded within timeoutMs, then real decisions again', async () => {
      const connection = await connectClient(kind, server.url);
      const l = limiters(connection.client);
      try {
        assert.equal((await l.allow.limit('k')).degraded, false);

        // Paused: the server holds every command, so only the timeout answers.
        redisCli(server.port, 'CLIENT', 'PAUSE', '1500', 'ALL');
        await assertDegraded(l, 'paused');
        const pausedThrow = await l.throws.limit('k').catch((error: unknown) => error);
        assert.ok(pausedThrow instanceof StoreTimeoutError, 'a paused server times out');
        assert.equal((await recovered(l, 3000)).degraded, false, 'decides again after the pause');

        // Killed: the connection is gone.
        await server.stop();
        await assertDegraded(l, 'killed');
        await assertDegraded(l, 'still down');

        // Restarted, empty (no scripts cached): the client reconnects on its own.
        await server.restart();
        const after = await recovered(l, 5000);
        assert.equal(after.degraded, false, 'decides again after the restart');
        assert.equal(after.remaining, 99, 'the restarted server starts from an empty state');
      } finally {
        await connection.close();
      }
      assert.deepEqual(unhandled, []);
    });
  });
}

describe('clients with default settings', () => {
  let server: RedisServer;
  before(async () => {
    server = await startRedis({ own: true });
  });
  after(async () => {
    await server.stop();
  });

  test('offline queues on, no error listener: degraded within timeoutMs, no crash, back after a restart', async () => {
    const io = new Redis(server.url);
    const node = createClient({ url: server.url });
    await node.connect();
    try {
      const all = [limiters(io), limiters(node)];
      // RedisStore attached an 'error' listener to node-redis, which would otherwise crash the process.
      assert.equal(node.listenerCount('error'), 1);
      for (const l of all) assert.equal((await l.allow.limit('k')).degraded, false);
      await server.stop();
      for (const l of all) await assertDegraded(l, 'killed, offline queue on');
      await server.restart();
      for (const l of all) assert.equal((await recovered(l, 5000)).degraded, false, 'decides again after the restart');
    } finally {
      io.disconnect();
      node.destroy();
    }
    // Commands that sat in the offline queues settle late; none may surface as unhandled.
    await delay(50);
    assert.deepEqual(unhandled, []);
  });
});
