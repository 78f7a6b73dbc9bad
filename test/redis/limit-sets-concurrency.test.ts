/**
 * Overlapping limit sets under concurrency on a single Redis: 4 processes
 * (both clients) × 600 concurrent requests of 8 users in 2 orgs under one
 * global limit admit exactly what the limits admit, and no limit counts a
 * denied request (see test/support/set-hammer-run.ts).
 */
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { RedisStore } from '../../src/stores/redis/index.js';
import { type RedisServer, startRedis } from '../support/redis-server.js';
import { hammerOverlappingSets } from '../support/set-hammer-run.js';

let server: RedisServer;
let reader: Redis;
before(async () => {
  server = await startRedis();
  reader = new Redis(server.url);
});
after(async () => {
  reader.disconnect();
  await server.stop();
});

test('4 processes × 600 concurrent requests on overlapping sets admit exactly the binding limit, spending nothing for denials', async () => {
  await hammerOverlappingSets({
    target: server.url,
    kinds: ['ioredis', 'node-redis', 'ioredis', 'node-redis'],
    calls: 600,
    prefix: 'sets-hammer',
    hashTag: undefined,
    store: new RedisStore({ client: reader }),
  });
});
