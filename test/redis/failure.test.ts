/**
 * The failure policy against a real Redis that is paused, killed and
 * restarted: every decision made while it cannot answer comes from the
 * failure policy (degraded, per onStoreError), the first one after it
 * answers again is real, the outage and the recovery are logged once each,
 * and nothing escapes as an unhandled rejection or an uncaught 'error'
 * event. No timing is measured: the server is held down until the test has
 * every decision in hand, and brought back by the test.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { type Decision, RateLimiter, StoreTimeoutError, tokenBucket } from '../../src/index.js';
import { type RedisClientLike, RedisStore } from '../../src/stores/redis/index.js';
import { CLIENT_KINDS, connectClient } from '../support/redis-clients.js';
import { type RedisServer, startRedis } from '../support/redis-server.js';

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

function memoryLogger() {
  const lines: string[] = [];
  return {
    lines,
    warn: (m: string) => lines.push(`warn ${m}`),
    error: (m: string) => lines.push(`error ${m}`),
  };
}

interface Limiters {
  allow: RateLimiter;
  deny: RateLimiter;
  throws: RateLimiter;
  log: ReturnType<typeof memoryLogger>;
}

/**
 * One limiter per failure policy. `timeoutMs` only where the test needs a
 * timeout to answer (a paused server, a client that queues while
 * disconnected); elsewhere the limiters wait as long as it takes, so no
 * assertion depends on how fast a loaded machine runs.
 */
function limiters(client: RedisClientLike, timeoutMs: number, prefix: string): Limiters {
  const store = new RedisStore({ client });
  const policy = tokenBucket({ capacity: 100, refillPerSecond: 10 });
  const log = memoryLogger();
  const make = (onStoreError: 'allow' | 'deny' | 'throw') =>
    new RateLimiter({ policy, store, onStoreError, timeoutMs, prefix: `${prefix}-${onStoreError}`, logger: log });
  return { allow: make('allow'), deny: make('deny'), throws: make('throw'), log };
}

/** All three failure policies answer, degraded. */
async function assertDegraded(l: Limiters, what: string): Promise<void> {
  const [allow, deny, thrown] = await Promise.all([
    l.allow.limit('k'),
    l.deny.limit('k'),
    l.throws.limit('k').then(
      () => undefined,
      (error: unknown) => error,
    ),
  ]);
  assert.deepEqual([allow.allowed, allow.degraded, deny.allowed, deny.degraded], [true, true, false, true], what);
  assert.equal(deny.retryAfterMs, 10_000, `${what}: fail closed waits one full refill`);
  assert.ok(thrown instanceof Error, `${what}: onStoreError 'throw' rejects`);
}

async function realDecisions(l: Limiters): Promise<Decision[]> {
  return Promise.all([l.allow.limit('k'), l.deny.limit('k'), l.throws.limit('k')]);
}

/** Resolves once the client is connected and ready again ('error' events meanwhile are the outage itself). */
function ready(client: RedisClientLike): Promise<void> {
  return new Promise((resolve) => (client as unknown as NodeJS.EventEmitter).once('ready', () => resolve()));
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

    test('paused, killed, restarted: degraded while down, real decisions after, one log line each way', async () => {
      const connection = await connectClient(kind, server.url);
      const admin = new Redis(server.url);
      // Without an offline queue, a call on a dead connection fails at once: no timeout is involved.
      const l = limiters(connection.client, Infinity, 'waiting');
      // A paused server holds every call: only a timeout answers.
      const paused = limiters(connection.client, 100, 'paused');
      try {
        assert.ok((await realDecisions(l)).every((d) => !d.degraded));

        // Paused (writes, which the script is) until the test unpauses it.
        await admin.call('CLIENT', 'PAUSE', '60000', 'WRITE');
        await assertDegraded(paused, 'paused');
        const pausedThrow = await paused.throws.limit('k').catch((error: unknown) => error);
        assert.ok(pausedThrow instanceof StoreTimeoutError, 'a paused server times out');
        await admin.call('CLIENT', 'UNPAUSE');
        assert.ok(
          (await realDecisions(l)).every((d) => !d.degraded),
          'decides after the pause',
        );

        // Killed: the connection is gone.
        admin.disconnect();
        await server.stop();
        await assertDegraded(l, 'killed');
        await assertDegraded(l, 'still down');

        // Restarted, empty (no scripts cached): the client reconnects on its own.
        const reconnected = ready(connection.client);
        await server.restart();
        await reconnected;
        const after = await realDecisions(l);
        assert.ok(
          after.every((d) => !d.degraded),
          'decides again after the restart',
        );
        assert.equal(after[0]?.remaining, 99, 'the restarted server starts from an empty state');
      } finally {
        admin.disconnect();
        await connection.close();
      }
      // One outage for each of the three limiters: one line when it starts, one when it ends.
      const errors = l.log.lines.filter((line) => line.startsWith('error'));
      const warns = l.log.lines.filter((line) => line.startsWith('warn'));
      assert.equal(errors.length, 3, l.log.lines.join('\n'));
      assert.equal(warns.length, 3, l.log.lines.join('\n'));
      assert.ok(errors.every((line) => line.includes('FG_STORE_DEGRADED')));
      assert.ok(warns.every((line) => line.includes('FG_STORE_RECOVERED')));
      // The paused limiters logged their outage once each, and nothing more (no call after it).
      assert.equal(paused.log.lines.length, 3, paused.log.lines.join('\n'));
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

  test('offline queues on, no error listener: degraded while down, no crash, back after a restart', async () => {
    const io = new Redis(server.url);
    const node = createClient({ url: server.url });
    await node.connect();
    await ready(io);
    try {
      // With the offline queues on, a call made while the server is down waits in the queue: only
      // the timeout answers. The healthy checks use limiters that wait as long as it takes.
      const down = [limiters(io, 100, 'io-down'), limiters(node, 100, 'node-down')];
      const up = [limiters(io, Infinity, 'io-up'), limiters(node, Infinity, 'node-up')];
      // RedisStore attached an 'error' listener to node-redis, which would otherwise crash the process.
      assert.equal(node.listenerCount('error'), 1);
      for (const l of up) assert.equal((await l.allow.limit('k')).degraded, false);
      await server.stop();
      for (const l of down) await assertDegraded(l, 'killed, offline queue on');
      const back = Promise.all([ready(io), ready(node)]);
      await server.restart();
      await back;
      for (const l of up) assert.equal((await l.allow.limit('k')).degraded, false, 'decides again after the restart');
    } finally {
      io.disconnect();
      node.destroy();
    }
    assert.deepEqual(unhandled, []);
  });
});
