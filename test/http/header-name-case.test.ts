// The README says which adapters send the rate-limit header names in lowercase:
// all but NestJS on Express. Fastify, Express, Koa and node are given lowercase
// names (their frameworks lowercase a name to key their table, so a lowercase
// literal is cheaper); Hono and fetch write into a `Headers`, which lowercases.
// HTTP names are case-insensitive, but a client that reads raw headers sees the
// difference: this pins what goes on the wire, read from rawHeaders.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, test } from 'node:test';
import { fixedWindow, RateLimiter } from '../../src/index.js';
import { harnesses, type Running } from './harnesses.js';

/** The one adapter that sends the draft's spelling (it passes the names to node's setHeader as written). */
const AS_WRITTEN = new Set(['nestjs (express platform)']);

function rawNames(server: Running): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const req = request({ host: server.host, port: server.port, path: '/', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.rawHeaders.filter((_, i) => i % 2 === 0)));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('rate-limit header names on the wire', () => {
  for (const harness of harnesses) {
    test(harness.name, async () => {
      const limiter = new RateLimiter({ policy: fixedWindow({ limit: 5, window: '1m' }) });
      const server = await harness.start({ options: { limiter } });
      try {
        const names = (await rawNames(server)).filter((name) => name.toLowerCase().startsWith('ratelimit'));
        const expected = AS_WRITTEN.has(harness.name)
          ? ['RateLimit-Policy', 'RateLimit']
          : ['ratelimit-policy', 'ratelimit'];
        assert.deepEqual([...names].sort(), [...expected].sort());
      } finally {
        await server.close();
      }
    });
  }
});
