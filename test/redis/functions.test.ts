/**
 * flowgate's script as a Redis Function library on a real redis-server, and
 * what can take it away: FUNCTION FLUSH, a restart without persistence, an
 * ACL user denied Functions, a server without FCALL, another flowgate
 * version's library. Each time the decisions are those of the script sent
 * by EVALSHA, each request decided exactly once.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { fixedWindow, RateLimiter, slidingLog, tokenBucket } from '../../src/index.js';
import { LIBRARY, type RedisClientLike, RedisStore } from '../../src/stores/redis/index.js';
import { CLIENT_KINDS, type ClientKind, connectClient } from '../support/redis-clients.js';
import { redisFixture } from '../support/redis-fixture.js';
import { freePort, spawnRedis } from '../support/redis-server.js';

const db = redisFixture();

function limiterOn(client: RedisClientLike, prefix: string, limit = 10): RateLimiter {
  return new RateLimiter({
    policy: fixedWindow({ limit, window: '1h' }),
    store: new RedisStore({ client }),
    prefix,
    onStoreError: 'throw',
    timeoutMs: Number.POSITIVE_INFINITY,
  });
}

/** Names of the function libraries loaded on the server behind `admin`. */
async function libraries(admin: Redis): Promise<string[]> {
  const list = (await admin.call('FUNCTION', 'LIST')) as unknown[][];
  return list.map((entry) => String(entry[entry.indexOf('library_name') + 1])).sort();
}

/** How often `command` was sent (run, failed or refused) since the last RESETSTAT. */
async function sent(admin: Redis, command: string): Promise<number> {
  const stats = await admin.info('commandstats');
  const line = new RegExp(`cmdstat_${command.replace('|', '\\|')}:calls=(\\d+).*?rejected_calls=(\\d+)`).exec(stats);
  return line ? Number(line[1]) + Number(line[2]) : 0;
}

for (const kind of CLIENT_KINDS) {
  describe(`Redis Functions with ${kind}`, () => {
    test('FUNCTION FLUSH mid-run: the next call loads the library again and decides exactly once', async () => {
      await db.admin.flushall();
      await db.admin.call('FUNCTION', 'FLUSH');
      const limiter = limiterOn(db.client(kind).client, `flush-${kind}`);
      assert.equal((await limiter.limit('k')).remaining, 9);
      assert.deepEqual(await libraries(db.admin), [LIBRARY.name]);
      await db.admin.call('FUNCTION', 'FLUSH');
      await db.admin.config('RESETSTAT');
      assert.equal((await limiter.limit('k')).remaining, 8);
      assert.equal((await limiter.limit('k', { cost: 2 })).remaining, 6);
      assert.deepEqual(await libraries(db.admin), [LIBRARY.name]);
      // The call that found no function, its one retry, and the next call; no script was sent.
      assert.equal(await sent(db.admin, 'fcall'), 3);
      assert.equal(await sent(db.admin, 'function|load'), 1);
      assert.equal(await sent(db.admin, 'evalsha'), 0);
    });

    test('calls that find the library gone at the same time load it once, each decided once', async () => {
      await db.admin.flushall();
      const client = db.client(kind).client;
      // Limiters of one store each send their own script call: five calls in flight at once.
      const store = new RedisStore({ client });
      const limiters = Array.from(
        { length: 5 },
        (_, i) =>
          new RateLimiter({
            policy: tokenBucket({ capacity: 4, refillPerSecond: 1 / 3600 }),
            store,
            prefix: `many-${kind}-${i}`,
            onStoreError: 'throw',
            timeoutMs: Number.POSITIVE_INFINITY,
          }),
      );
      await limiters[0]?.peek('warm');
      await db.admin.call('FUNCTION', 'FLUSH');
      await db.admin.config('RESETSTAT');
      // Decided twice, a call would report (and leave) 0.
      const decisions = await Promise.all(limiters.map((limiter) => limiter.limit('k', { cost: 2 })));
      assert.deepEqual(
        decisions.map((d) => d.remaining),
        [2, 2, 2, 2, 2],
      );
      assert.equal(await sent(db.admin, 'function|load'), 1);
      // A peek reports what would remain after one more unit.
      for (const limiter of limiters) assert.equal((await limiter.peek('k')).remaining, 1);
    });

    test('another flowgate version on the same Redis keeps its library, and both decide', async () => {
      await db.admin.flushall();
      await db.admin.call('FUNCTION', 'FLUSH');
      // An older flowgate: its own library name (another hash of its code), loaded first.
      const olderName = 'flowgate_0123456789abcdef0123';
      const older = LIBRARY.code.replaceAll(LIBRARY.name, olderName);
      await db.admin.call('FUNCTION', 'LOAD', older);
      const limiter = limiterOn(db.client(kind).client, `versions-${kind}`);
      assert.equal((await limiter.limit('k')).remaining, 9);
      assert.deepEqual(await libraries(db.admin), [LIBRARY.name, olderName].sort());
      // The older version's function still answers, on the same state.
      const key = `{versions-${kind}:k}:fw:3600000`;
      const reply = (await db.admin.call(
        'FCALL',
        olderName,
        '1',
        key,
        '',
        'e',
        '1000',
        '',
        '1',
        'fw',
        '10',
        '3600000',
        '',
        '',
      )) as number[];
      assert.equal(reply.length, 2 + 1 + 7);
      assert.equal(reply[4], 8);
      // Loading a library that is there already (a second process of this version) is no error.
      const again = new RedisStore({ client: db.client(kind).client });
      const other = new RateLimiter({
        policy: fixedWindow({ limit: 10, window: '1h' }),
        store: again,
        prefix: `versions-${kind}`,
      });
      await db.admin.call('FUNCTION', 'DELETE', LIBRARY.name);
      const both = await Promise.all([limiter.limit('k'), other.limit('k')]);
      assert.deepEqual(both.map((d) => d.remaining).sort(), [6, 7]);
      assert.deepEqual(await libraries(db.admin), [LIBRARY.name, olderName].sort());
    });
  });
}

describe('where Functions are refused, calls go as scripts and decide the same', () => {
  /**
   * The same calls through `client` and through the default user, on an explicit clock: equal
   * decisions. Returns how many FCALLs and EVALSHAs `client`'s calls sent.
   */
  async function sameDecisions(client: RedisClientLike, prefix: string): Promise<[number, number]> {
    const now = 1_800_000_000_000;
    const make = (on: RedisClientLike, p: string) =>
      new RateLimiter({
        policy: slidingLog({ limit: 5, window: '1m' }),
        store: new RedisStore({ client: on }),
        prefix: p,
        clock: () => now,
        onStoreError: 'throw',
        timeoutMs: Number.POSITIVE_INFINITY,
      });
    const run = async (limiter: RateLimiter) => [
      await limiter.reset('k'),
      await limiter.limit('k', { cost: 2 }),
      await limiter.limit('k', { cost: 4 }),
      await limiter.peek('k'),
      await limiter.limit('k', { cost: 3 }),
      await limiter.limit('k'),
    ];
    await db.admin.config('RESETSTAT');
    const refused = await run(make(client, prefix));
    const counts: [number, number] = [await sent(db.admin, 'fcall'), await sent(db.admin, 'evalsha')];
    assert.deepEqual(refused, await run(make(db.client('ioredis').client, `${prefix}-reference`)));
    return counts;
  }

  /** Runs `body` once per client kind, connected as the ACL user `user` (password `pw`). */
  async function asUser(user: string, body: (client: RedisClientLike, kind: ClientKind) => Promise<void>) {
    for (const kind of CLIENT_KINDS) {
      const url = new URL(db.server.url);
      url.username = user;
      url.password = 'pw';
      const connection = await connectClient(kind, url.toString());
      try {
        await body(connection.client, kind);
      } finally {
        await connection.close();
      }
    }
  }

  test('an ACL user without fcall: one refused FCALL, then EVALSHA only', async () => {
    await db.admin.call('ACL', 'SETUSER', 'nofcall', 'on', '>pw', '~*', '+@all', '-fcall');
    await asUser('nofcall', async (client, kind) => {
      // One refused FCALL, then the six calls as scripts.
      assert.deepEqual(await sameDecisions(client, `acl-fcall-${kind}`), [1, 6], kind);
    });
  });

  test('an ACL user allowed fcall but not FUNCTION LOAD, on a server without the library: scripts from then on', async () => {
    await db.admin.call('ACL', 'SETUSER', 'noload', 'on', '>pw', '~*', '+@all', '-function|load');
    await asUser('noload', async (client, kind) => {
      await db.admin.call('FUNCTION', 'FLUSH');
      const limiter = limiterOn(client, `acl-load-${kind}`);
      await limiter.reset('k');
      await db.admin.config('RESETSTAT');
      assert.equal((await limiter.limit('k')).remaining, 9);
      assert.equal((await limiter.limit('k')).remaining, 8);
      assert.equal(await sent(db.admin, 'fcall'), 0, 'the store had given up on Functions at the reset');
      assert.equal(await sent(db.admin, 'evalsha'), 2);
      assert.deepEqual(await libraries(db.admin), []);
    });
  });

  test('an ACL user allowed fcall but not FUNCTION LOAD calls a library an administrator loaded', async () => {
    await db.admin.call('ACL', 'SETUSER', 'noload', 'on', '>pw', '~*', '+@all', '-function|load');
    await asUser('noload', async (client, kind) => {
      await db.admin.call('FUNCTION', 'FLUSH');
      await db.admin.call('FUNCTION', 'LOAD', LIBRARY.code);
      const limiter = limiterOn(client, `preloaded-${kind}`);
      await db.admin.config('RESETSTAT');
      assert.equal((await limiter.limit('k')).remaining, 9);
      assert.equal((await limiter.limit('k', { cost: 3 })).remaining, 6);
      assert.equal(await sent(db.admin, 'fcall'), 2);
      assert.equal(await sent(db.admin, 'evalsha'), 0);
    });
  });

  test('a server without FCALL (Redis < 7, or renamed away): EVALSHA, same decisions', async () => {
    const port = await freePort();
    const server = await spawnRedis(port, ['--rename-command', 'FCALL', 'FCALL_hidden']);
    const io = new Redis(port, '127.0.0.1');
    const node = createClient({ url: `redis://127.0.0.1:${port}` });
    await node.connect();
    try {
      for (const client of [io, node] as RedisClientLike[]) {
        const limiter = limiterOn(client, `nofcall-${client === io ? 'io' : 'node'}`, 3);
        assert.deepEqual(
          [await limiter.limit('k'), await limiter.limit('k', { cost: 2 }), await limiter.limit('k')].map(
            (d) => d.allowed,
          ),
          [true, true, false],
        );
      }
    } finally {
      io.disconnect();
      node.destroy();
      server.kill('SIGKILL');
    }
  });

  after(async () => {
    await db.admin.call('ACL', 'DELUSER', 'nofcall', 'noload');
  });
});

describe('a Redis restarted without persistence', () => {
  test('has lost the library: the next call loads it again and decides', async () => {
    const port = await freePort();
    let server = await spawnRedis(port);
    const io = new Redis(port, '127.0.0.1');
    const node = createClient({ url: `redis://127.0.0.1:${port}` });
    await node.connect();
    const clients = [io, node] as RedisClientLike[];
    try {
      const limiters = clients.map((client, i) => limiterOn(client, `restart-${i}`));
      for (const limiter of limiters) assert.equal((await limiter.limit('k')).remaining, 9);
      const back = Promise.all(
        clients.map((c) => new Promise((resolve) => (c as unknown as NodeJS.EventEmitter).once('ready', resolve))),
      );
      server.kill('SIGKILL');
      server = await spawnRedis(port);
      await back;
      // The state went with the server; the library too, and the first call brings it back.
      for (const limiter of limiters) assert.equal((await limiter.limit('k')).remaining, 9);
      for (const limiter of limiters) assert.equal((await limiter.limit('k')).remaining, 8);
      const admin = new Redis(port, '127.0.0.1');
      assert.deepEqual(await libraries(admin), [LIBRARY.name]);
      admin.disconnect();
    } finally {
      io.disconnect();
      node.destroy();
      server.kill('SIGKILL');
    }
  });
});
