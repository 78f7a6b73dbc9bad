/**
 * Attack: keys holding lone UTF-16 surrogates (a crafted header or JSON
 * string) are distinct in JavaScript, but a Redis client encodes each as
 * U+FFFD, so four users shared one Redis key (memory kept them apart). They
 * are escaped in Redis key names: four keys on both stores.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fixedWindow, MemoryStore, RateLimiter } from '../../src/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { CLIENT_KINDS } from '../support/redis-clients.js';
import { redisFixture } from '../support/redis-fixture.js';

const db = redisFixture();
const KEYS = ['\uD800', '\uD801', '\uDC00', 'a\uD800b', '\uFFFD', 'a\uFFFDb', '😀', '\uD83D\uDE00x'];

for (const kind of CLIENT_KINDS) {
  describe(`lone surrogates with ${kind}`, () => {
    test('every key is its own key, as in memory', async () => {
      await db.admin.flushdb();
      const policy = fixedWindow({ limit: 1, window: '1h' });
      const redis = new RateLimiter({
        policy,
        store: new RedisStore({ client: db.client(kind).client }),
        onStoreError: 'throw',
      });
      const memory = new RateLimiter({ policy, store: new MemoryStore() });
      for (const limiter of [redis, memory]) {
        const first = await Promise.all(KEYS.map((key) => limiter.limit(key)));
        assert.deepEqual(
          first.map((d) => d.allowed),
          KEYS.map(() => true),
        );
        const second = await Promise.all(KEYS.map((key) => limiter.limit(key)));
        assert.deepEqual(
          second.map((d) => d.allowed),
          KEYS.map(() => false),
        );
      }
      assert.equal(await db.admin.dbsize(), KEYS.length);
    });
  });
}
