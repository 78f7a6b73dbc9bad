/**
 * When a call through flowgate's Function goes again, and when it must not:
 * only after an answer Redis gives before running anything. Errors are
 * injected around a real client's commands (a lost connection, a node the
 * load did not reach); the rest is a real redis-server.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { fixedWindow, RateLimiter } from '../../src/index.js';
import { ScriptCaller, type ScriptCommands } from '../../src/stores/redis/functions.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { LIBRARY, SCRIPT } from '../../src/stores/redis/scripts.js';
import { redisFixture } from '../support/redis-fixture.js';

const db = redisFixture();

/** flowgate's ARGV for one cost-1 fixed-window request (limit 10, 1 h), deadline `deadline`. */
function argsOf(deadline: string): string[] {
  return ['', 'e', '1000', deadline, '1', 'fw', '10', '3600000', '', ''];
}

/** The admin client's commands, with `fcall` and `load` replaceable, recording what was sent. */
function commands(overrides: Partial<ScriptCommands> = {}) {
  const sent: { command: string; args: string[] }[] = [];
  const real: ScriptCommands = {
    evalsha: (sha, keys, args) => {
      sent.push({ command: 'evalsha', args });
      return db.admin.evalsha(sha, keys.length, ...keys, ...args);
    },
    eval: (text, keys, args) => {
      sent.push({ command: 'eval', args });
      return db.admin.eval(text, keys.length, ...keys, ...args);
    },
    fcall: (name, keys, args) => {
      sent.push({ command: 'fcall', args });
      return db.admin.call('FCALL', name, String(keys.length), ...keys, ...args);
    },
    load: async (code) => {
      sent.push({ command: 'load', args: [] });
      await db.admin.call('FUNCTION', 'LOAD', 'REPLACE', code);
    },
  };
  return { sent, commands: { ...real, ...overrides } as ScriptCommands };
}

/** The fixed window's remaining count in a reply (status 1 first): see lua/prelude.lua.ts. */
function remainingIn(reply: unknown): number {
  return Number((reply as unknown[])[4]);
}

test('a lost connection during an FCALL is not retried: the call may have run', async () => {
  await db.admin.flushall();
  const lost = new Error('Connection is closed.');
  const { sent, commands: c } = commands({ fcall: () => Promise.reject(lost) });
  const caller = new ScriptCaller(c);
  await assert.rejects(caller.run(SCRIPT, ['{p:k}:fw:3600000'], argsOf('')), lost);
  assert.deepEqual(
    sent.map((s) => s.command),
    [],
  );
  assert.equal(caller.usesFunctions, true);
});

test("'Function not found' again after loading (a node the load missed): once as a script, same arguments", async () => {
  await db.admin.flushall();
  await db.admin.script('FLUSH');
  const missing = new Error('ERR Function not found');
  let fcalls = 0;
  const { sent, commands: c } = commands({
    fcall: () => {
      fcalls++;
      return Promise.reject(missing);
    },
  });
  const caller = new ScriptCaller(c);
  const args = argsOf('');
  const reply = await caller.run(SCRIPT, ['{p:k}:fw:3600000'], args);
  assert.equal(remainingIn(reply), 9);
  assert.equal(fcalls, 2);
  assert.deepEqual(
    sent.map((s) => s.command),
    ['load', 'evalsha', 'eval'],
  );
  // The script carried the call's own arguments, its deadline with them.
  for (const s of sent.filter((x) => x.command !== 'load')) assert.deepEqual(s.args, args);
  assert.equal(caller.usesFunctions, true, 'the next call tries the function again');
});

test('a retry that reaches Redis after the deadline commits nothing', async () => {
  await db.admin.flushall();
  await db.admin.call('FUNCTION', 'FLUSH');
  const { commands: c } = commands();
  const caller = new ScriptCaller(c);
  // A deadline already passed on the server's clock: the first FCALL finds no function, the retry is late.
  const reply = (await caller.run(SCRIPT, ['{p:k}:fw:3600000'], argsOf('1'))) as unknown[];
  assert.equal(reply[1], 0, 'late: nothing decided');
  assert.equal(await db.admin.exists('{p:k}:fw:3600000'), 0);
  assert.equal(remainingIn(await caller.run(SCRIPT, ['{p:k}:fw:3600000'], argsOf(''))), 9);
});

test('a load that fails for a passing reason sends this call as a script and keeps Functions on', async () => {
  await db.admin.flushall();
  await db.admin.call('FUNCTION', 'FLUSH');
  await db.admin.script('FLUSH');
  let loads = 0;
  const { sent, commands: c } = commands({
    load: async (code) => {
      loads++;
      if (loads === 1) throw new Error('LOADING Redis is loading the dataset in memory');
      await db.admin.call('FUNCTION', 'LOAD', code);
    },
  });
  const caller = new ScriptCaller(c);
  assert.equal(remainingIn(await caller.run(SCRIPT, ['{p:k}:fw:3600000'], argsOf(''))), 9);
  assert.equal(remainingIn(await caller.run(SCRIPT, ['{p:k}:fw:3600000'], argsOf(''))), 8);
  assert.deepEqual(
    sent.map((s) => s.command),
    ['fcall', 'evalsha', 'eval', 'fcall', 'fcall'],
  );
  assert.equal(loads, 2);
});

test('an error raised inside the running function (an ACL denying SET) is not retried as a script', async () => {
  await db.admin.flushall();
  await db.admin.call('ACL', 'SETUSER', 'noset', 'on', '>pw', '~*', '+@all', '-set');
  const url = new URL(db.server.url);
  url.username = 'noset';
  url.password = 'pw';
  const client = new Redis(url.toString());
  try {
    const limiter = new RateLimiter({
      policy: fixedWindow({ limit: 10, window: '1h' }),
      store: new RedisStore({ client }),
      onStoreError: 'throw',
      timeoutMs: Number.POSITIVE_INFINITY,
    });
    await db.admin.call('FUNCTION', 'LOAD', 'REPLACE', LIBRARY.code);
    await db.admin.config('RESETSTAT');
    await assert.rejects(limiter.limit('k'), /can't run this command/);
    const stats = await db.admin.info('commandstats');
    assert.match(stats, /cmdstat_fcall:calls=1,/);
    assert.doesNotMatch(stats, /cmdstat_evalsha/);
  } finally {
    client.disconnect();
    await db.admin.call('ACL', 'DELUSER', 'noset');
  }
});
