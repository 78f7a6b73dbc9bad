/**
 * An HTTP server under load reads many sockets in one turn of the event loop,
 * each in its own callback, and node drains process.nextTick after every
 * callback. RedisStore must still send the requests of the whole turn as one
 * script call: here, calls made by separate timer callbacks of one turn, and
 * by concurrent requests to a real HTTP server.
 */
import assert from 'node:assert/strict';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { fixedWindow, RateLimiter } from '../../src/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { type RedisServer, startRedis } from '../support/redis-server.js';
import { scriptCalls } from '../support/script-calls.js';

let server: RedisServer;
let admin: Redis;
let client: Redis;

before(async () => {
  server = await startRedis();
  admin = new Redis(server.url);
  client = new Redis(server.url);
});

after(async () => {
  client.disconnect();
  admin.disconnect();
  await server.stop();
});

async function scriptCallsRun(): Promise<number> {
  return scriptCalls(await admin.info('commandstats'));
}

function limiterOf(prefix: string): RateLimiter {
  return new RateLimiter({
    policy: fixedWindow({ limit: 1000, window: 60_000 }),
    store: new RedisStore({ client }),
    prefix,
    onStoreError: 'throw',
    timeoutMs: Number.POSITIVE_INFINITY,
  });
}

test('calls made by separate callbacks of one event-loop turn share one script call once two calls are in flight', async () => {
  const limiter = limiterOf('turn');
  await limiter.peek('warm');
  await admin.config('RESETSTAT');
  // While fewer than two calls are in flight, a call goes out at once (a lone call waits for
  // nothing, and a second one keeps client and Redis busy together: test/redis/batch-pipeline.test.ts);
  // the other 18, made while those two are in flight, share the third script call.
  // (Before two calls were kept in flight, this was 1 + 19 in two calls.)
  // Immediates queued together run in one check phase, each as its own callback (and node drains
  // process.nextTick between them). Timers would not do: under load, 20 timers created across a
  // millisecond boundary fall due in two different turns.
  const decisions = await Promise.all(
    Array.from(
      { length: 20 },
      (_, i) => new Promise((resolve) => setImmediate(() => resolve(limiter.limit(`k${i % 3}`)))),
    ),
  );
  assert.equal(decisions.length, 20);
  assert.equal(await scriptCallsRun(), 3);
});

test('concurrent HTTP requests share script calls: fewer script calls than requests, every decision right', async () => {
  const limiter = limiterOf('http');
  await limiter.peek('warm');
  const http = createServer((_req, res) => {
    limiter.limit('client').then((d) => res.end(String(d.remaining)));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  // Kept-alive connections, as a load generator has: every request of a round is written in one
  // turn of the client, so the server finds them all readable in one turn.
  const agent = new Agent({ keepAlive: true, maxSockets: 30 });
  try {
    const get = () =>
      new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => {
            body += chunk;
          });
          res.on('end', () => resolve(Number(body)));
        });
        req.on('error', reject);
        req.end();
      });
    const rounds = 5;
    const concurrent = 30;
    await Promise.all(Array.from({ length: concurrent }, get)); // opens the connections
    await admin.config('RESETSTAT');
    const remaining: number[] = [];
    for (let r = 0; r < rounds; r++) remaining.push(...(await Promise.all(Array.from({ length: concurrent }, get))));
    // Every request spent exactly one unit, once.
    assert.deepEqual(
      [...remaining].sort((a, b) => b - a),
      Array.from({ length: rounds * concurrent }, (_, i) => 1000 - concurrent - 1 - i),
    );
    const calls = await scriptCallsRun();
    assert.ok(calls < rounds * concurrent, `${calls} script calls for ${rounds * concurrent} requests`);
  } finally {
    agent.destroy();
    await new Promise((resolve) => http.close(resolve));
  }
});
