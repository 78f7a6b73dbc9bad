/**
 * A Redis-compatible server without `cmsgpack` (some managed services and
 * re-implementations leave it out), or with one whose output this client
 * cannot read. ioredis asks the script for its reply packed with
 * `cmsgpack.pack` (lua/prelude.lua.ts); the script packs at its very end,
 * after it has written every request's state. Without cmsgpack, every
 * batched call then failed after committing: each request spent its units
 * and was answered by the failure policy, on every call, forever.
 *
 * The server is simulated by a client that renames `cmsgpack` in the code it
 * sends (FUNCTION LOAD, EVAL): to Lua that global does not exist. A script
 * must then answer its plain array reply, and every request be decided
 * exactly as on a server with cmsgpack, by Functions and by scripts.
 *
 * A cmsgpack whose output does not read as a reply (simulated by packing a
 * second value after it) costs only the calls already sent: they fail with
 * an error that says so, and the store asks for the plain reply from then on.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { fixedWindow, RateLimiter } from '../../src/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { ownRedis } from '../support/redis-fixture.js';

const own = ownRedis();

interface SentCommand {
  name: string;
  args: unknown[];
}

/** An ioredis client whose script and library code has `from` replaced by `to`. */
function rewritingClient(from: string, to: string): Redis {
  class Rewriting extends Redis {
    override sendCommand(command: never, stream?: never): unknown {
      const sent = command as SentCommand;
      if (sent.name === 'eval' || sent.name.toLowerCase() === 'function') {
        sent.args = sent.args.map((arg) => (typeof arg === 'string' ? arg.replaceAll(from, to) : arg));
      }
      return super.sendCommand(command, stream);
    }
  }
  return new Rewriting(own.server.url);
}

/** Whether the server refuses Functions to the default user, so that calls go as scripts. */
async function functions(allowed: boolean): Promise<void> {
  await own.admin.call('ACL', 'SETUSER', 'default', allowed ? '+@all' : '-fcall');
  await own.admin.call('FUNCTION', 'FLUSH');
  await own.admin.script('FLUSH');
  await own.admin.flushall();
}

function limiterOn(client: Redis, prefix: string): RateLimiter {
  return new RateLimiter({
    policy: fixedWindow({ limit: 3, window: '1h' }),
    store: new RedisStore({ client }),
    prefix,
    onStoreError: 'throw',
    timeoutMs: Number.POSITIVE_INFINITY,
    logger: false,
  });
}

for (const way of ['functions', 'scripts'] as const) {
  test(`without cmsgpack (${way}) every request is decided, and none is committed unanswered`, async () => {
    await functions(way === 'functions');
    // `nocmsgpack` is no global: to the script, the server has no cmsgpack.
    const client = rewritingClient('cmsgpack', 'nocmsgpack');
    try {
      const limiter = limiterOn(client, 'nm');
      // A lone call, then batches (the general call, the packed reply asked for).
      assert.equal((await limiter.limit('k')).remaining, 2);
      const batch = await Promise.all([limiter.limit('k'), limiter.limit('k'), limiter.limit('k')]);
      assert.deepEqual(
        batch.map((d) => [d.allowed, d.remaining]),
        [
          [true, 1],
          [true, 0],
          [false, 0],
        ],
      );
      const [peeked, other] = await Promise.all([limiter.peek('k'), limiter.limit('other', { cost: 2 })]);
      assert.deepEqual([peeked.allowed, other.allowed, other.remaining], [false, true, 1]);
      const keys = await own.admin.keys('{nm:*');
      assert.deepEqual(
        await Promise.all(keys.sort().map((key) => own.admin.get(key))),
        ['3', '2'],
        'each key counts exactly what was admitted',
      );
    } finally {
      client.disconnect();
    }
  });
}

test('a packed reply that does not read costs one call, with an error that says so', async () => {
  await functions(true);
  // Two values packed one after the other: not a reply this client reads.
  const client = rewritingClient('cmsgpack.pack(reply)', 'cmsgpack.pack(reply, 0)');
  try {
    const limiter = limiterOn(client, 'odd');
    const first = await Promise.allSettled([limiter.limit('k'), limiter.limit('k')]);
    for (const settled of first) {
      assert.equal(settled.status, 'rejected');
      assert.match(String((settled as PromiseRejectedResult).reason), /packed reply.*cmsgpack/);
    }
    // From then on, the plain reply: decided as usual (the failed call did commit its two units).
    const next = await Promise.all([limiter.limit('k'), limiter.limit('k')]);
    assert.deepEqual(
      next.map((d) => [d.allowed, d.remaining]),
      [
        [true, 0],
        [false, 0],
      ],
    );
  } finally {
    client.disconnect();
  }
});
