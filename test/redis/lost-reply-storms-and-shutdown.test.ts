/**
 * Attack on the guard that keeps a script call whose connection closed
 * unanswered from being run twice (src/stores/redis/resend-guard.ts), from
 * the client's side: a reconnect storm (drop after drop, each catching a
 * call Redis ran), many connections dropped at once, `disconnect()` and
 * `quit()` with a batch in flight, and clients made with `lazyConnect` or
 * `enableOfflineQueue: false`. Whatever the sequence, every call is run by
 * Redis at most once, a call answered by the failure policy is never run
 * later, a decision that is not `degraded` was applied exactly once, and a
 * connection keeps one close listener of the guard, however many calls and
 * drops it saw.
 *
 * A real redis-server behind test/support/reply-dropping-proxy.ts.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Redis, type RedisOptions } from 'ioredis';
import { type Decision, fixedWindow, type RateLimiter } from '../../src/index.js';
import { redisFixture } from '../support/redis-fixture.js';
import { type ReplyDroppingProxy, startReplyDroppingProxy } from '../support/reply-dropping-proxy.js';
import { limiterTwins, sameAsMemory } from '../support/same-as-memory.js';
import { scriptCalls } from '../support/script-calls.js';
import { until } from '../support/until.js';

const db = redisFixture();
let proxy: ReplyDroppingProxy | undefined;
const clients: Redis[] = [];
after(async () => {
  for (const client of clients) client.disconnect();
  await proxy?.close();
});

const NOW = 1_800_000_000_000;
const POLICY = fixedWindow({ limit: 1000, window: '1h' });

async function proxied(options: RedisOptions = {}): Promise<{ client: Redis; proxy: ReplyDroppingProxy }> {
  proxy ??= await startReplyDroppingProxy(db.server.port);
  const client = new Redis(proxy.url, { lazyConnect: true, ...options });
  clients.push(client);
  return { client, proxy };
}

function limiters(client: Redis, prefix: string): { redis: RateLimiter; memory: RateLimiter } {
  return limiterTwins(client, POLICY, NOW, prefix);
}

async function runs(): Promise<number> {
  return scriptCalls(await db.admin.info('commandstats'));
}

/** Units Redis holds for `key` of `prefix` (the fixed window's count; 0 without a key). */
async function spent(prefix: string, key: string): Promise<number> {
  const value = await db.admin.get(`{${prefix}:${key}}:fw:3600000`);
  return value === null ? 0 : Number(value.split(':')[1]);
}

/** Close listeners on the client's current socket (ioredis's own, and the guard's once a call went on it). */
function closeListeners(client: Redis): number {
  return (client as unknown as { stream: { listenerCount(event: string): number } }).stream.listenerCount('close');
}

function nextReady(client: Redis): Promise<void> {
  return new Promise((resolve) => client.once('ready', resolve));
}

test('a reconnect storm: twenty drops, each catching a call Redis ran; none runs twice, no listener piles up', async () => {
  const { client, proxy } = await proxied();
  await client.connect();
  const { redis, memory } = limiters(client, 'storm');
  await redis.peek('warm');
  const listeners = closeListeners(client);
  const before = await runs();
  for (let round = 0; round < 20; round++) {
    proxy.swallowReplies();
    // One job: one script call of three requests.
    const batch = [redis.limit('k'), redis.limit('k'), redis.limit('k', { cost: 2 })];
    await until(async () => (await runs()) >= before + round + 1);
    const ready = nextReady(client);
    proxy.cut();
    for (const d of await Promise.all(batch)) assert.equal(d.degraded, true, `round ${round}`);
    await ready;
  }
  await client.ping();
  assert.equal(await runs(), before + 20, 'a call Redis had run was run again');
  assert.equal(await spent('storm', 'k'), 20 * 4, 'each call applied once');
  for (let round = 0; round < 20; round++) {
    for (const cost of [1, 1, 2]) await memory.limit('k', { cost });
  }
  await sameAsMemory(redis, memory, 'k', { peek: true });
  assert.equal(closeListeners(client), listeners, 'close listeners on a connection that saw calls after a storm');
});

test('forty connections dropped at once, each with a call Redis ran: every one answered, none run again', async () => {
  const made = await Promise.all(Array.from({ length: 40 }, () => proxied()));
  await Promise.all(made.map(({ client }) => client.connect()));
  const pairs = made.map(({ client }, i) => ({ client, ...limiters(client, `many${i}`) }));
  await Promise.all(pairs.map(({ redis }) => redis.peek('warm')));
  const proxy = made[0]?.proxy as ReplyDroppingProxy;
  const before = await runs();
  proxy.swallowReplies();
  const calls = pairs.map(({ redis }) => redis.limit('k', { cost: 3 }));
  await until(async () => (await runs()) >= before + 40);
  const ready = pairs.map(({ client }) => nextReady(client));
  proxy.cut();
  for (const d of await Promise.all(calls)) assert.equal(d.degraded, true);
  await Promise.all(ready);
  await Promise.all(pairs.map(({ client }) => client.ping()));
  assert.equal(await runs(), before + 40);
  for (let i = 0; i < 40; i++) assert.equal(await spent(`many${i}`, 'k'), 3, `many${i}`);
});

test('enableOfflineQueue: false: a lost call is not run again; a call made while reconnecting is never sent', async () => {
  const { client, proxy } = await proxied({ enableOfflineQueue: false });
  await client.connect();
  const { redis } = limiters(client, 'no-queue');
  await redis.peek('warm');
  const before = await runs();
  proxy.swallowReplies();
  const lost = redis.limit('k', { cost: 3 });
  await until(async () => (await runs()) >= before + 1);
  const ready = nextReady(client);
  proxy.cut();
  assert.equal((await lost).degraded, true);
  await until(() => client.status !== 'ready');
  const offline = await redis.limit('k', { cost: 5 });
  assert.equal(offline.degraded, true, 'answered by the failure policy: not written, not queued');
  await ready;
  await client.ping();
  assert.equal(await runs(), before + 1);
  assert.equal(await spent('no-queue', 'k'), 3);
});

/** Settles a batch made now and returns how many of its units Redis holds, checking it against the decisions. */
async function atMostOnce(
  prefix: string,
  before: number,
  batch: Promise<Decision>[],
  settle: () => Promise<unknown>,
): Promise<void> {
  const decided = await Promise.all(batch);
  await settle();
  const ran = (await runs()) - before;
  assert.ok(ran <= 1, `${ran} script calls for one batch`);
  const held = await spent(prefix, 'k');
  if (decided.every((d) => !d.degraded)) {
    assert.equal(ran, 1);
    assert.equal(
      held,
      decided.reduce((sum, d) => sum + d.spent, 0),
    );
  } else {
    // Answered by the failure policy: run once by Redis at most (its reply lost), never after.
    for (const d of decided) assert.equal(d.degraded, true);
    assert.equal(held, ran === 1 ? 6 : 0);
  }
}

test('disconnect() with a batch in flight, then connect(): answered, and nothing is sent again', async () => {
  const { client } = await proxied();
  await client.connect();
  const { redis } = limiters(client, 'disconnect');
  await redis.peek('warm');
  const before = await runs();
  const batch = [redis.limit('k', { cost: 3 }), redis.limit('k', { cost: 3 })];
  // The batch goes in this job's microtasks; the disconnect comes after it was written.
  await Promise.resolve();
  client.disconnect();
  await atMostOnce('disconnect', before, batch, async () => {
    await client.connect();
    await client.ping();
  });
});

test('quit() in the same turn as a batch: answered, and run at most once', async () => {
  const { client } = await proxied();
  await client.connect();
  const { redis } = limiters(client, 'quit');
  await redis.peek('warm');
  const before = await runs();
  const batch = [redis.limit('k', { cost: 3 }), redis.limit('k', { cost: 3 })];
  const quit = client.quit();
  await atMostOnce('quit', before, batch, () => quit);
});

test('lazyConnect: the first call, made before the client connected, waits for it and is decided', async () => {
  const { client } = await proxied();
  const { redis, memory } = limiters(client, 'lazy');
  assert.equal(client.status, 'wait');
  const before = await runs();
  const decided = await redis.limit('k', { cost: 3 });
  assert.equal(decided.degraded, false);
  assert.ok((await runs()) >= before + 1);
  await memory.limit('k', { cost: 3 });
  await sameAsMemory(redis, memory, 'k', { peek: true });
});
