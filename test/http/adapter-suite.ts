// The one adapter suite: every behaviour of the HTTP middleware, checked with
// real servers and real requests against each framework in harnesses.ts.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request } from 'node:http';
import { describe, test } from 'node:test';
import {
  type Decision,
  fixedWindow,
  type LimitOptions,
  leakyBucket,
  RateLimiter,
  tokenBucket,
} from '../../src/index.js';
import { get, item, limiterOf, memoryLogger, type Reply, statuses, T0 } from './client.js';
import type { Harness, Running, Setup } from './harnesses.js';

/** A limiter that tells the test when each decision has been made. */
class SignallingLimiter extends RateLimiter {
  private waiters: (() => void)[] = [];
  decided(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  override limit(key: string, options?: LimitOptions): Promise<Decision> {
    return super.limit(key, options).then((d) => {
      for (const w of this.waiters.splice(0)) w();
      return d;
    });
  }
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

export function adapterSuite(harness: Harness): void {
  describe(harness.name, () => {
    async function withServer(setup: Setup, body: (server: Running) => Promise<void>): Promise<void> {
      const server = await harness.start(setup);
      try {
        await body(server);
      } finally {
        await server.close();
      }
    }

    test('admits up to the limit, then answers 429 problem+json with Retry-After >= t', async () => {
      const limiter = limiterOf(fixedWindow({ limit: 2, window: '1m' }));
      await withServer({ options: { limiter } }, async (server) => {
        const replies = [await get(server), await get(server), await get(server)];
        assert.deepEqual(
          replies.map((r) => r.status),
          [200, 200, 429],
        );
        assert.equal(server.handled, 2);
        for (const [i, r] of replies.entries()) {
          assert.deepEqual(item(r.headers['ratelimit-policy']), [
            'default',
            new Map([
              ['q', 2],
              ['w', 60],
            ]),
          ]);
          assert.deepEqual(item(r.headers.ratelimit), [
            'default',
            new Map([
              ['r', [1, 0, 0][i]],
              ['t', 20],
            ]),
          ]);
        }
        const denied = replies[2] as Reply;
        assert.equal(denied.headers['content-type'], 'application/problem+json');
        assert.equal(denied.headers['retry-after'], '20');
        const t = item(denied.headers.ratelimit)[1].get('t') as number;
        assert.ok(Number(denied.headers['retry-after']) >= t);
        assert.deepEqual(JSON.parse(denied.body), {
          type: 'https://iana.org/assignments/http-problem-types#quota-exceeded',
          title: 'Request cannot be satisfied as assigned quota has been exceeded',
          status: 429,
          detail: 'Quota of 2 exceeded for policy "default"; retry in 20 s.',
          'violated-policies': ['default'],
        });
      });
    });

    test('forged X-Forwarded-For, Forwarded and X-Real-IP do not escape the limit; one warning', async () => {
      const logger = memoryLogger();
      const limiter = limiterOf(fixedWindow({ limit: 1, window: '1m' }));
      await withServer({ options: { limiter, logger } }, async (server) => {
        const forged: Record<string, string>[] = [
          {},
          { 'x-forwarded-for': '6.6.6.1' },
          { 'x-forwarded-for': '6.6.6.2, 6.6.6.3' },
          { forwarded: 'for=6.6.6.4' },
          { 'x-real-ip': '6.6.6.5' },
        ];
        assert.deepEqual(await statuses(server, forged), [200, 429, 429, 429, 429]);
        if (harness.warnsOfProxyHeaders !== false) {
          assert.equal(logger.warns.length, 1);
          assert.match(logger.warns[0] as string, /FG_HTTP_PROXY_HEADER_UNTRUSTED/);
        }
        assert.equal((await limiter.peek('127.0.0.1')).remaining, 0);
      });
    });

    test('with trustProxy the right hop is the client, in every header form', async () => {
      const limiter = limiterOf(fixedWindow({ limit: 1, window: '1m' }));
      await withServer({ options: { limiter, trustProxy: 1 } }, async (server) => {
        const xff = (v: string) => ({ 'x-forwarded-for': v });
        assert.deepEqual(
          await statuses(server, [xff('6.6.6.6, 203.0.113.7'), xff('7.7.7.7, 203.0.113.7'), xff('203.0.113.8')]),
          [200, 429, 200],
        );
      });
      const forwarded = limiterOf(fixedWindow({ limit: 1, window: '1m' }));
      const options = { limiter: forwarded, trustProxy: ['127.0.0.0/8'], proxyHeader: 'forwarded' };
      await withServer({ options }, async (server) => {
        const fwd = (v: string) => ({ forwarded: v, 'x-forwarded-for': '9.9.9.9' });
        assert.deepEqual(
          await statuses(server, [
            fwd('for=6.6.6.6, for="203.0.113.7:80"'),
            fwd('for=203.0.113.7'),
            fwd('for=1.1.1.1'),
          ]),
          [200, 429, 200],
        );
      });
      const realIp = limiterOf(fixedWindow({ limit: 1, window: '1m' }));
      await withServer(
        { options: { limiter: realIp, trustProxy: 'loopback', proxyHeader: 'x-real-ip' } },
        async (server) => {
          const ip = (v: string) => ({ 'x-real-ip': v });
          assert.deepEqual(
            await statuses(server, [ip('203.0.113.7'), ip('203.0.113.7'), ip('203.0.113.9')]),
            [200, 429, 200],
          );
        },
      );
    });

    test('IPv6 clients are grouped by /64; IPv4-mapped clients are their IPv4 address, not lumped', async () => {
      const limiter = limiterOf(fixedWindow({ limit: 1, window: '1m' }));
      await withServer({ host: '::1', options: { limiter, trustProxy: 'loopback' } }, async (server) => {
        const xff = (v: string) => ({ 'x-forwarded-for': v });
        assert.deepEqual(
          await statuses(server, [
            xff('2001:db8:1:2::1'),
            xff('2001:db8:1:2:ffff:ffff:ffff:ffff'),
            xff('2001:db8:1:3::1'),
            xff('::ffff:1.2.3.4'),
            xff('1.2.3.4'),
            xff('::ffff:5.6.7.8'),
            {},
          ]),
          [200, 429, 200, 200, 429, 200, 200],
        );
        assert.equal((await limiter.peek('::/64')).remaining, 0, 'the socket peer ::1 is keyed by its /64');
      });
      const dual = limiterOf(fixedWindow({ limit: 5, window: '1m' }));
      await withServer({ host: '::', options: { limiter: dual } }, async (server) => {
        const ipv4 = { ...server, host: '127.0.0.1' };
        assert.equal((await get(ipv4)).status, 200);
        assert.equal((await dual.peek('127.0.0.1')).remaining, 3, '::ffff:127.0.0.1 is keyed as 127.0.0.1');
      });
    });

    test('leaky bucket: an admitted request is held delayMs, and dropped if the client leaves', async (t) => {
      const limiter = new SignallingLimiter({
        policy: leakyBucket({ capacity: 3, leakPerSecond: 1 }),
        clock: () => T0,
      });
      await withServer({ options: { limiter } }, async (server) => {
        assert.equal((await get(server)).status, 200);
        assert.equal(server.handled, 1);
        t.mock.timers.enable({ apis: ['setTimeout'] });
        try {
          const decided = limiter.decided();
          const second = get(server);
          await decided;
          await flush();
          t.mock.timers.tick(999);
          await flush();
          assert.equal(server.handled, 1, 'held for 1000 ms');
          t.mock.timers.tick(1);
          assert.equal((await second).status, 200);
          assert.equal(server.handled, 2);

          const third = limiter.decided();
          const req = request({ host: server.host, port: server.port, path: '/', agent: false });
          req.on('error', () => {});
          req.end();
          await third;
          await flush();
          const socket = server.sockets.at(-1);
          assert.ok(socket);
          req.destroy();
          await once(socket, 'close');
          await flush();
          t.mock.timers.tick(10_000);
          await flush();
          assert.equal(server.handled, 2, 'a disconnected client is never served');
        } finally {
          t.mock.timers.reset();
        }
      });
    });

    test('skip, cost and key select what is counted', async () => {
      const limiter = limiterOf(fixedWindow({ limit: 5, window: '1m' }));
      const setup = { options: { limiter }, skipHeader: 'x-skip', costHeader: 'x-cost', keyHeader: 'x-user' };
      await withServer(setup, async (server) => {
        const skipped = await get(server, { 'x-skip': '1', 'x-user': 'a' });
        assert.equal(skipped.status, 200);
        assert.equal(skipped.headers.ratelimit, undefined);
        assert.equal((await limiter.peek('a')).remaining, 4, 'nothing spent: peek leaves 5 - 1');
        const r1 = await get(server, { 'x-user': 'a', 'x-cost': '3' });
        assert.deepEqual(item(r1.headers.ratelimit)[1].get('r'), 2);
        const r2 = await get(server, { 'x-user': 'a', 'x-cost': '3' });
        assert.equal(r2.status, 429);
        assert.deepEqual(item(r2.headers.ratelimit)[1].get('r'), 2);
        const r3 = await get(server, { 'x-user': 'a', 'x-cost': '2' });
        assert.equal(r3.status, 200);
        assert.equal((await get(server, { 'x-user': 'b', 'x-cost': '5' })).status, 200);
        assert.equal(
          (await get(server, { 'x-user': 'c', 'x-cost': '6' })).status,
          500,
          'cost above the limit is an error',
        );
        assert.equal(server.handled, 4, 'skipped, a:3, a:2, b:5');
      });
    });

    test('onLimited observes denials, and can replace the 429', async () => {
      const observed = limiterOf(fixedWindow({ limit: 1, window: '1m' }));
      await withServer({ options: { limiter: observed }, onLimited: 'observe' }, async (server) => {
        assert.deepEqual(await statuses(server, [{}, {}]), [200, 429]);
        assert.equal(server.limited.length, 1);
        assert.equal(server.limited[0]?.allowed, false);
      });
      // One token per 3.33 s: Retry-After is 4 (rounded up), not 3.
      const replaced = limiterOf(tokenBucket({ capacity: 1, refillPerSecond: 0.3 }));
      await withServer({ options: { limiter: replaced, headers: 'both' }, onLimited: 'replace' }, async (server) => {
        await get(server);
        const r = await get(server);
        assert.equal(r.status, 418);
        assert.equal(r.body, 'custom');
        assert.equal(r.headers['retry-after'], '4');
        assert.equal(r.headers['x-ratelimit-limit'], '1');
        assert.ok(r.headers.ratelimit);
      });
    });

    test('the same limiter mounted twice on one route is reported as FG_HTTP_DOUBLE_COUNT', async () => {
      const logger = memoryLogger();
      const limiter = limiterOf(fixedWindow({ limit: 10, window: '1m' }));
      await withServer({ options: { limiter, logger }, mount: 'twice' }, async (server) => {
        await get(server);
        await get(server);
        assert.equal(logger.errors.length, 1);
        assert.match(logger.errors[0] as string, /FG_HTTP_DOUBLE_COUNT/);
        assert.equal((await limiter.peek('127.0.0.1')).remaining, 5, '4 spent, peek takes 1 more');
      });
    });

    if (harness.perRequest) {
      test('a middleware built inside a request handler is reported as FG_HTTP_CREATED_IN_REQUEST', async () => {
        const logger = memoryLogger();
        const limiter = limiterOf(fixedWindow({ limit: 10, window: '1m' }));
        await withServer({ options: { limiter, logger }, mount: 'per-request' }, async (server) => {
          await statuses(server, [{}, {}, {}]);
          assert.equal(logger.errors.length, 1);
          assert.match(logger.errors[0] as string, /FG_HTTP_CREATED_IN_REQUEST/);
        });
      });
    }

    test('bad options throw at construction with a stable code', async () => {
      const limiter = limiterOf(fixedWindow({ limit: 1, window: '1m' }));
      await assert.rejects(harness.start({ options: { limiter, ipv6Subnet: 0 } }), { code: 'FG_IPV6_SUBNET_INVALID' });
      await assert.rejects(harness.start({ options: { limiter, headers: 'draft-6' } }), { code: 'FG_HEADERS_INVALID' });
      await assert.rejects(harness.start({ options: { limiter, windowMs: 1 } }), { code: 'FG_UNKNOWN_OPTION' });
      await assert.rejects(harness.start({ options: {} }), { code: 'FG_LIMITER_INVALID' });
    });
  });
}
