/**
 * Attack: Redis runs a script call, the connection drops before its reply
 * reaches the client, and the client sends the call again once it has
 * reconnected (ioredis's `autoResendUnfulfilledCommands`, on by default; an
 * ioredis Cluster retries a call whose node connection closed): the requests
 * were decided twice, a cost-3 request spending 6. A call caught by a
 * dropped connection is answered by the failure policy (`degraded`, cause
 * FG_STORE_CONNECTION_LOST), whether Redis had run it or not, and whatever
 * the client writes for it later decides nothing: every request is spent at
 * most once, and the decisions after it are exactly MemoryStore's.
 *
 * A real redis-server behind a TCP proxy (test/support/reply-dropping-proxy.ts)
 * that loses the replies, or the commands, and then the connection.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { StoreConnectionLostError } from '../../src/failure.js';
import {
  type Decision,
  fixedWindow,
  leakyBucket,
  MemoryStore,
  type Policy,
  RateLimiter,
  slidingLog,
  slidingWindow,
  tokenBucket,
} from '../../src/index.js';
import { type RedisClientLike, RedisStore } from '../../src/stores/redis/index.js';
import { CLIENT_KINDS, type ClientKind } from '../support/redis-clients.js';
import { redisFixture } from '../support/redis-fixture.js';
import { type ReplyDroppingProxy, startReplyDroppingProxy } from '../support/reply-dropping-proxy.js';
import { decisionFields, sameAsMemory } from '../support/same-as-memory.js';
import { scriptCalls } from '../support/script-calls.js';
import { until } from '../support/until.js';

const db = redisFixture();
let proxy: ReplyDroppingProxy | undefined;
after(async () => {
  await proxy?.close();
});

const NOW = 1_800_000_000_000;

const POLICIES: Record<string, () => Policy> = {
  'fixed window': () => fixedWindow({ limit: 10, window: '1h' }),
  'sliding window': () => slidingWindow({ limit: 10, window: '1h' }),
  'sliding log': () => slidingLog({ limit: 10, window: '1h' }),
  'token bucket': () => tokenBucket({ capacity: 10, refillPerSecond: 1 }),
  'leaky bucket': () => leakyBucket({ capacity: 10, leakPerSecond: 1 }),
};

/** A client of `kind` through the proxy, with its defaults (ioredis resends unanswered commands, reconnects). */
interface Proxied {
  readonly client: RedisClientLike;
  /** Settles when the client is next ready (after it reconnected). */
  ready(): Promise<unknown>;
  ping(): Promise<unknown>;
  close(): void;
}

async function connect(kind: ClientKind): Promise<Proxied> {
  proxy ??= await startReplyDroppingProxy(db.server.port);
  if (kind === 'ioredis') {
    const client = new Redis(proxy.url, { lazyConnect: true });
    await client.connect();
    return { client, ready: () => nextReady(client), ping: () => client.ping(), close: () => client.disconnect() };
  }
  const client = createClient({ url: proxy.url, socket: { reconnectStrategy: () => 50 } });
  client.on('error', () => {});
  await client.connect();
  return { client, ready: () => nextReady(client), ping: () => client.ping(), close: () => client.destroy() };
}

/** Settles on the emitter's next 'ready' (events.once would reject on the 'error' a lost connection emits). */
function nextReady(emitter: { once(event: 'ready', listener: () => void): unknown }): Promise<void> {
  return new Promise((resolve) => emitter.once('ready', resolve));
}

async function scriptCallsRun(): Promise<number> {
  return scriptCalls(await db.admin.info('commandstats'));
}

/**
 * Runs `act` while the server's replies are lost; once Redis has run `calls`
 * more script calls, cuts the connection, waits for the client to reconnect
 * and for everything it sends again to be answered, and checks that Redis
 * ran no script call again. Returns what `act`'s calls settled with.
 */
async function loseReplies<T>(proxied: Proxied, calls: number, act: () => Promise<T>[]): Promise<T[]> {
  const before = await scriptCallsRun();
  (proxy as ReplyDroppingProxy).swallowReplies();
  const settled = Promise.all(act());
  await until(async () => (await scriptCallsRun()) >= before + calls);
  const ready = proxied.ready();
  (proxy as ReplyDroppingProxy).cut();
  const results = await settled;
  await ready;
  // Commands go in order on a connection: whatever the client sent again went before this.
  await proxied.ping();
  assert.equal(await scriptCallsRun(), before + calls, 'a script call Redis had run was run again');
  return results;
}

function limiters(
  policy: () => Policy,
  client: Proxied['client'],
): { redis: RateLimiter; memory: RateLimiter; store: RedisStore } {
  const common = {
    policy: policy(),
    onStoreError: 'deny' as const,
    clock: () => NOW,
    prefix: 'lost',
    logger: false as const,
    timeoutMs: Number.POSITIVE_INFINITY,
  };
  const store = new RedisStore({ client });
  return {
    redis: new RateLimiter({ ...common, store }),
    memory: new RateLimiter({ ...common, store: new MemoryStore() }),
    store,
  };
}

function assertDegraded(d: Decision): void {
  assert.equal(d.degraded, true, `the lost call was answered as if decided: ${JSON.stringify(d)}`);
  assert.equal(d.allowed, false);
}

for (const kind of CLIENT_KINDS) {
  describe(`${kind}: a call whose reply was lost is decided once`, () => {
    for (const [name, policy] of Object.entries(POLICIES)) {
      test(name, async () => {
        const proxied = await connect(kind);
        try {
          const { redis, memory } = limiters(policy, proxied.client);
          // The library is loaded before the replies are lost.
          await redis.peek('warm');
          const key = `one:${kind}:${name}`;
          const [lost] = await loseReplies(proxied, 1, () => [redis.limit(key, { cost: 3 })]);
          assertDegraded(lost as Decision);
          await memory.limit(key, { cost: 3 });
          await sameAsMemory(redis, memory, key, { peek: true });
        } finally {
          proxied.close();
        }
      });
    }
  });
}

describe('ioredis: every shape of call', () => {
  test('the lone function (one request, one limit, the server TIME)', async () => {
    const proxied = await connect('ioredis');
    try {
      // 1 token per 1000 s: the test cannot last long enough to see one come back.
      const policy = tokenBucket({ capacity: 10, refillPerSecond: 0.001 });
      const limiter = new RateLimiter({
        policy,
        onStoreError: 'deny',
        logger: false,
        timeoutMs: Number.POSITIVE_INFINITY,
        store: new RedisStore({ client: proxied.client }),
      });
      await limiter.peek('warm');
      const [lost] = await loseReplies(proxied, 1, () => [limiter.limit('lone', { cost: 3 })]);
      assertDegraded(lost as Decision);
      // A peek answers as a cost-1 request would: 7 tokens left, 6 after it.
      assert.equal((await limiter.peek('lone')).remaining, 6);
      assert.equal((await limiter.limit('lone', { cost: 7 })).allowed, true);
      assert.equal((await limiter.limit('lone', { cost: 1 })).allowed, false);
    } finally {
      proxied.close();
    }
  });

  test('a batch of several requests in one call', async () => {
    const proxied = await connect('ioredis');
    try {
      const { redis, memory } = limiters(POLICIES['sliding log'] as () => Policy, proxied.client);
      await redis.peek('warm');
      const keys = ['b1', 'b2', 'b1', 'b3'];
      const lost = await loseReplies(proxied, 1, () => keys.map((key) => redis.limit(key, { cost: 3 })));
      for (const d of lost) assertDegraded(d);
      for (const key of keys) await memory.limit(key, { cost: 3 });
      for (const key of new Set(keys)) await sameAsMemory(redis, memory, key, { peek: true });
    } finally {
      proxied.close();
    }
  });

  test('two calls in flight, both caught by one drop', async () => {
    const proxied = await connect('ioredis');
    try {
      const { redis, memory, store } = limiters(POLICIES['token bucket'] as () => Policy, proxied.client);
      await redis.peek('warm');
      const lost = await loseReplies(proxied, 2, () => {
        const first = redis.limit('p1', { cost: 3 });
        // Made while the first call is in flight: a second call, sent before the first is answered.
        const second = new Promise<void>((resolve) => setImmediate(resolve)).then(() => redis.limit('p2', { cost: 3 }));
        return [first, second];
      });
      for (const d of lost) assertDegraded(d);
      await memory.limit('p1', { cost: 3 });
      await memory.limit('p2', { cost: 3 });
      await sameAsMemory(redis, memory, 'p1', { peek: true });
      await sameAsMemory(redis, memory, 'p2', { peek: true });
      assert.equal(store.inFlight, 0, 'an in-flight slot leaked');
    } finally {
      proxied.close();
    }
  });

  test('a limit set', async () => {
    const proxied = await connect('ioredis');
    try {
      const options = {
        limits: {
          second: tokenBucket({ capacity: 5, refillPerSecond: 1 }),
          hour: fixedWindow({ limit: 10, window: '1h' }),
        },
        onStoreError: 'deny' as const,
        clock: () => NOW,
        prefix: 'lost-set',
        logger: false as const,
        timeoutMs: Number.POSITIVE_INFINITY,
      };
      const redis = new RateLimiter({ ...options, store: new RedisStore({ client: proxied.client }) });
      const memory = new RateLimiter({ ...options, store: new MemoryStore() });
      await redis.peek('warm');
      const [lost] = await loseReplies(proxied, 1, () => [redis.limit('s', { cost: 3 })]);
      assertDegraded(lost as Decision);
      await memory.limit('s', { cost: 3 });
      for (const cost of [1, 2, 1]) {
        const [r, m] = [await redis.limit('s', { cost }), await memory.limit('s', { cost })];
        assert.deepEqual(decisionFields(r), decisionFields(m), `cost ${cost}`);
        assert.deepEqual(r.violated, m.violated);
      }
    } finally {
      proxied.close();
    }
  });

  test('a call that never reached Redis is answered by the failure policy and never applied', async () => {
    const proxied = await connect('ioredis');
    try {
      const { redis, memory } = limiters(POLICIES['fixed window'] as () => Policy, proxied.client);
      await redis.peek('warm');
      const before = await scriptCallsRun();
      (proxy as ReplyDroppingProxy).holdCommands();
      const pending = redis.limit('never', { cost: 3 });
      await until(() => (proxy as ReplyDroppingProxy).heldBytes > 0);
      const ready = proxied.ready();
      (proxy as ReplyDroppingProxy).cut();
      assertDegraded(await pending);
      await ready;
      await proxied.ping();
      assert.equal(await scriptCallsRun(), before, 'the call the caller was answered for ran after the reconnect');
      await sameAsMemory(redis, memory, 'never', { peek: true });
    } finally {
      proxied.close();
    }
  });

  test('a call made while the client is offline waits in its queue and is decided as usual', async () => {
    const proxied = await connect('ioredis');
    try {
      const io = proxied.client as Redis;
      const { redis, memory } = limiters(POLICIES['fixed window'] as () => Policy, io);
      await redis.peek('warm');
      const before = await scriptCallsRun();
      (proxy as ReplyDroppingProxy).cut();
      await until(() => io.status === 'reconnecting');
      // Never written before the reconnect: nothing about it was lost.
      const decided = await redis.limit('offline', { cost: 3 });
      assert.deepEqual(decisionFields(decided), decisionFields(await memory.limit('offline', { cost: 3 })));
      assert.equal(decided.degraded, false);
      assert.equal(await scriptCallsRun(), before + 1);
      await sameAsMemory(redis, memory, 'offline', { peek: true });
    } finally {
      proxied.close();
    }
  });

  test('the caller learns why: FG_STORE_CONNECTION_LOST', async () => {
    const proxied = await connect('ioredis');
    try {
      const policy = fixedWindow({ limit: 10, window: '1h' });
      const store = new RedisStore({ client: proxied.client });
      const limiter = new RateLimiter({
        policy,
        store,
        onStoreError: 'throw',
        clock: () => NOW,
        prefix: 'cause',
        timeoutMs: Number.POSITIVE_INFINITY,
      });
      await limiter.peek('warm');
      const [outcome] = await loseReplies(proxied, 1, () => [
        limiter.limit('c', { cost: 3 }).then(
          () => undefined,
          (error: unknown) => error,
        ),
      ]);
      assert.ok(outcome instanceof StoreConnectionLostError, String(outcome));
      assert.equal(outcome.code, 'FG_STORE_CONNECTION_LOST');
      assert.equal((await limiter.peek('c')).remaining, 6);
    } finally {
      proxied.close();
    }
  });

  test('a call already given up (ioredis commandTimeout) is not run again when the client resends it', async () => {
    const proxied = await connect('ioredis');
    try {
      const options = { policy: fixedWindow({ limit: 10, window: '1h' }), clock: () => NOW, prefix: 'gave-up' };
      const limiter = new RateLimiter({
        ...options,
        store: new RedisStore({ client: proxied.client }),
        onStoreError: 'throw',
        timeoutMs: Number.POSITIVE_INFINITY,
      });
      const memory = new RateLimiter({ ...options, store: new MemoryStore() });
      await limiter.peek('warm');
      const before = await scriptCallsRun();
      (proxy as ReplyDroppingProxy).swallowReplies();
      // The replies are lost, so this command times out in ioredis however fast the machine is. The
      // timeout is set for it alone (ioredis reads the option per command): on a busy machine the
      // warm-up and the ping after the reconnect could take longer than 50 ms and fail the test.
      const ioredis = proxied.client as Redis;
      ioredis.options.commandTimeout = 50;
      const outcome = await limiter.limit('t', { cost: 3 }).then(
        () => undefined,
        (error: unknown) => error,
      );
      ioredis.options.commandTimeout = undefined;
      assert.ok(outcome instanceof Error && /timed out/.test(outcome.message), String(outcome));
      await until(async () => (await scriptCallsRun()) >= before + 1);
      // ioredis still holds the command it gave up on, and writes it again after reconnecting.
      const ready = proxied.ready();
      (proxy as ReplyDroppingProxy).cut();
      await ready;
      await proxied.ping();
      assert.equal(await scriptCallsRun(), before + 1, 'the call given up on ran again after the reconnect');
      await memory.limit('t', { cost: 3 });
      await sameAsMemory(limiter, memory, 't', { peek: true });
    } finally {
      proxied.close();
    }
  });
});
