// Issue: a denial by the failure policy (onStoreError: 'deny' while the store
// is down) answered 429 "quota exceeded", blaming the client for a server
// outage. It must be a 503 with the draft's temporary-reduced-capacity
// problem type, and Retry-After, on every adapter.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { TEMPORARY_REDUCED_CAPACITY_TYPE } from '../../src/http/problem.js';
import { type BoundStore, fixedWindow, RateLimiter, type Store } from '../../src/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { startRedis } from '../support/redis-server.js';
import { harnesses, type Running } from './harnesses.js';

/** A store whose every call fails: by throwing, or by rejecting. */
function failingStore(mode: 'throw' | 'reject'): Store {
  const fail = (): never => {
    throw new Error('store down');
  };
  const bound: BoundStore =
    mode === 'throw'
      ? { limit: fail, peek: fail, refund: fail, reset: fail }
      : {
          limit: () => Promise.reject(new Error('store down')),
          peek: () => Promise.reject(new Error('store down')),
          refund: () => Promise.reject(new Error('store down')),
          reset: () => Promise.reject(new Error('store down')),
        };
  return { bind: () => bound };
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(server: Running): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: server.host, port: server.port, path: '/', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('a denial by the failure policy is 503 temporary-reduced-capacity, not 429', () => {
  let stoppedRedis: Redis;
  before(async () => {
    // A Redis that was there and went away: commands fail at once (no offline queue).
    const server = await startRedis({ own: true });
    stoppedRedis = new Redis(server.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    await new Promise((resolve) => stoppedRedis.once('ready', resolve));
    stoppedRedis.on('error', () => {});
    await server.stop();
  });
  after(() => stoppedRedis?.disconnect());

  const stores: Record<string, () => Store> = {
    'a store that throws': () => failingStore('throw'),
    'a store that rejects': () => failingStore('reject'),
    'a stopped Redis': () => new RedisStore({ client: stoppedRedis }),
  };

  for (const harness of harnesses) {
    test(`${harness.name}: 503 with Retry-After and the temporary-reduced-capacity problem`, async () => {
      for (const [name, store] of Object.entries(stores)) {
        // A 1.5 s window: the failure policy asks the client to come back after one window, 2 s rounded up.
        const policy = fixedWindow({ limit: 5, window: 1_500 });
        const limiter = new RateLimiter({ policy, store: store(), onStoreError: 'deny' });
        const server = await harness.start({ options: { limiter }, onLimited: 'observe' });
        try {
          const reply = await get(server);
          assert.equal(reply.status, 503, name);
          assert.equal(reply.headers['retry-after'], '2', name);
          assert.equal(reply.headers['content-type'], 'application/problem+json', name);
          assert.deepEqual(JSON.parse(reply.body), {
            type: TEMPORARY_REDUCED_CAPACITY_TYPE,
            title: 'Request cannot be satisfied due to temporary server capacity constraints',
            status: 503,
            detail: 'Capacity for policy "default" is temporarily reduced; retry in 2 s.',
            'violated-policies': ['default'],
          });
          assert.equal(server.handled, 0);
          assert.equal(server.limited[0]?.degraded, true, 'onLimited sees the degraded decision');
        } finally {
          await server.close();
        }
        // Failing open is unchanged: the request is served.
        const open = new RateLimiter({ policy, store: store(), onStoreError: 'allow' });
        const served = await harness.start({ options: { limiter: open } });
        try {
          assert.equal((await get(served)).status, 200, `${name}, onStoreError: 'allow'`);
        } finally {
          await served.close();
        }
      }
    });
  }
});

test('the problem type is the one draft-ietf-httpapi-ratelimit-headers-10 registers for 503', () => {
  assert.equal(
    TEMPORARY_REDUCED_CAPACITY_TYPE,
    'https://iana.org/assignments/http-problem-types#temporary-reduced-capacity',
  );
});
