/**
 * flowgate's Function library on a real 3-master Redis Cluster with both
 * clients: a master that lacks it (flushed, as a node that joined or a
 * replica promoted without it would) gets it on the first call that lands
 * there, and that call is decided exactly once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fixedWindow, RateLimiter } from '../../src/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { LIBRARY } from '../../src/stores/redis/scripts.js';
import { CLIENT_KINDS, connectCluster, type TestClient } from '../support/redis-clients.js';
import { clusterFixture } from '../support/redis-cluster.js';
import { redisCli } from '../support/redis-server.js';

const cluster = clusterFixture();

function hasLibrary(port: number): boolean {
  return redisCli(port, 'FUNCTION', 'LIST').includes(LIBRARY.name);
}

for (const kind of CLIENT_KINDS) {
  describe(`Redis Functions on a cluster with ${kind}`, () => {
    let connection: TestClient;
    before(async () => {
      connection = await connectCluster(kind, cluster.ports);
    });
    after(async () => {
      await connection.close();
    });

    test('a master that lacks the library loads it on the next call there, decided exactly once', async () => {
      for (const port of cluster.ports) redisCli(port, 'FUNCTION', 'FLUSH');
      const prefix = `fn-${kind}`;
      const limiter = new RateLimiter({
        policy: fixedWindow({ limit: 10, window: '1h' }),
        store: new RedisStore({ client: connection.client }),
        prefix,
        onStoreError: 'throw',
        timeoutMs: Number.POSITIVE_INFINITY,
      });
      // One key per master.
      const byMaster = new Map<number, string>();
      for (let i = 0; byMaster.size < cluster.ports.length; i++) {
        const key = `k${i}`;
        const port = cluster.masterOf(`{${prefix}:${key}}:fw:3600000`);
        if (!byMaster.has(port)) byMaster.set(port, key);
      }
      for (const key of byMaster.values()) assert.equal((await limiter.limit(key)).remaining, 9, key);
      for (const port of cluster.ports) assert.ok(hasLibrary(port), `master ${port} has the library`);
      for (const [port, key] of byMaster) {
        redisCli(port, 'FUNCTION', 'FLUSH');
        assert.equal(hasLibrary(port), false);
        // Decided twice, it would report 7.
        assert.equal((await limiter.limit(key)).remaining, 8, `${key} on ${port}`);
        assert.ok(hasLibrary(port), `master ${port} has the library again`);
      }
    });
  });
}
