// The adapter suite, part two: limit sets, stacked middlewares, countResponse, shadow mode,
// tiers and the decision in the handler, on every framework in harnesses.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fixedWindow, RateLimiter, type SetDecision, slidingWindow } from '../../src/index.js';
import { get, item, items, limiterOf, memoryLogger, statuses, T0 } from './client.js';
import type { Harness, Running, Setup } from './harnesses.js';

/** A user limit of 2 and an org limit of 3 per minute, keyed { user, org }. */
function userAndOrg(): RateLimiter<'user' | 'org'> {
  return new RateLimiter({
    limits: { user: fixedWindow({ limit: 2, window: '1m' }), org: fixedWindow({ limit: 3, window: '1m' }) },
    clock: () => T0,
  });
}

const as = (user: string, org = 'acme') => ({ 'x-user': user, 'x-org': org });

export function limitSetSuite(harness: Harness): void {
  describe(`${harness.name}: limit sets and friends`, () => {
    async function withServer(setup: Setup, body: (server: Running) => Promise<void>): Promise<void> {
      const server = await harness.start(setup);
      try {
        await body(server);
      } finally {
        await server.close();
      }
    }

    test('a limit set: every limit is a named item; the 429 names the violated limit; denials spend nothing', async () => {
      const limiter = userAndOrg();
      await withServer({ options: { limiter }, keyRecord: true }, async (server) => {
        const first = await get(server, as('u1'));
        assert.deepEqual(items(first.headers['ratelimit-policy']), [
          [
            'user',
            new Map([
              ['q', 2],
              ['w', 60],
            ]),
          ],
          [
            'org',
            new Map([
              ['q', 3],
              ['w', 60],
            ]),
          ],
        ]);
        assert.deepEqual(items(first.headers.ratelimit), [
          [
            'user',
            new Map([
              ['r', 1],
              ['t', 20],
            ]),
          ],
          [
            'org',
            new Map([
              ['r', 2],
              ['t', 20],
            ]),
          ],
        ]);
        assert.deepEqual(await statuses(server, [as('u1'), as('u1'), as('u2')]), [200, 429, 200]);
        const byOrg = await get(server, as('u2'));
        assert.equal(byOrg.status, 429);
        assert.equal(byOrg.headers['retry-after'], '20');
        const body = JSON.parse(byOrg.body);
        assert.deepEqual(body['violated-policies'], ['org']);
        assert.equal(body.detail, 'Quota of 3 exceeded for policy "org"; retry in 20 s.');
        assert.deepEqual(
          items(byOrg.headers.ratelimit).map(([name, p]) => [name, p.get('r')]),
          [
            ['user', 1],
            ['org', 0],
          ],
        );
        // u2's user limit still has room: the request the org denied spent nothing there.
        const peeked = await limiter.peek({ user: 'u2', org: 'other' });
        assert.equal(peeked.limits.user.allowed, true);
        assert.equal(peeked.limits.user.remaining, 0);
        assert.equal(server.handled, 3);
      });
    });

    test('Retry-After is the set wait: the greatest wait of the limits that denied', async () => {
      // 1_000_700 % 10_000 = 700: the 10 s window ends in 9.3 s, the minute in 19.3 s.
      const limiter = new RateLimiter({
        limits: { short: fixedWindow({ limit: 1, window: '10s' }), long: fixedWindow({ limit: 1, window: '1m' }) },
        clock: () => T0,
      });
      await withServer({ options: { limiter } }, async (server) => {
        const [, denied] = [await get(server), await get(server)];
        assert.equal(denied?.status, 429);
        assert.equal(denied?.headers['retry-after'], '20');
        assert.deepEqual(JSON.parse(denied?.body ?? '')['violated-policies'], ['short', 'long']);
        assert.match(JSON.parse(denied?.body ?? '').detail, /policies "short", "long"; retry in 20 s/);
      });
    });

    test('two stacked middlewares append their items; nothing is overwritten', async () => {
      const perIp = limiterOf(fixedWindow({ limit: 5, window: '1m' }));
      const perUser = userAndOrg();
      const setup: Setup = {
        options: { limiter: perIp, policyName: 'ip' },
        stacked: { limiter: perUser, key: () => 'u1' },
      };
      await withServer(setup, async (server) => {
        const r = await get(server);
        assert.equal(r.status, 200);
        assert.deepEqual(
          items(r.headers['ratelimit-policy']).map(([name]) => name),
          ['ip', 'user', 'org'],
        );
        assert.deepEqual(
          items(r.headers.ratelimit).map(([name, p]) => [name, p.get('r')]),
          [
            ['ip', 4],
            ['user', 1],
            ['org', 2],
          ],
        );
        await get(server);
        const denied = await get(server);
        assert.equal(denied.status, 429);
        assert.deepEqual(JSON.parse(denied.body)['violated-policies'], ['user']);
        assert.deepEqual(
          items(denied.headers.ratelimit).map(([name, p]) => [name, p.get('r')]),
          [
            ['ip', 2],
            ['user', 0],
            ['org', 1],
          ],
        );
      });
    });

    test('stacked middlewares with the same policy name: the second item is renamed, and it is reported once', async () => {
      const logger = memoryLogger();
      const a = limiterOf(fixedWindow({ limit: 5, window: '1m' }));
      const b = limiterOf(fixedWindow({ limit: 1, window: '1m' }));
      await withServer({ options: { limiter: a, logger }, stacked: { limiter: b, logger } }, async (server) => {
        const r = await get(server);
        assert.deepEqual(
          items(r.headers['ratelimit-policy']).map(([name, p]) => [name, p.get('q')]),
          [
            ['default', 5],
            ['default-2', 1],
          ],
        );
        const denied = await get(server);
        assert.deepEqual(JSON.parse(denied.body)['violated-policies'], ['default-2']);
        assert.equal(logger.warns.filter((w) => w.includes('FG_HTTP_POLICY_NAME_COLLISION')).length, 1);
      });
    });

    test('countResponse: only failed responses count (skipSuccessfulRequests); the refund is exact', async () => {
      const limiter = limiterOf(fixedWindow({ limit: 2, window: '1m' }));
      await withServer({ options: { limiter }, countResponse: 'failures' }, async (server) => {
        assert.deepEqual(await statuses(server, [{}, {}, {}, {}]), [200, 200, 200, 200]);
        await server.settled(4);
        assert.equal((await limiter.peek('127.0.0.1')).remaining, 1, 'successes were given back');
        assert.deepEqual(
          await statuses(server, [{ 'x-status': '500' }, { 'x-status': '404' }, { 'x-status': '500' }]),
          [500, 404, 429],
        );
        await server.settled(6);
        assert.equal((await limiter.peek('127.0.0.1')).allowed, false, 'two failures spent the limit');
        assert.equal(server.handled, 6);
      });
    });

    test('countResponse that throws or returns a non-boolean is logged; the request stays counted', async () => {
      for (const mode of ['throw', 'bad'] as const) {
        const logger = memoryLogger();
        const limiter = limiterOf(fixedWindow({ limit: 2, window: '1m' }));
        await withServer({ options: { limiter, logger }, countResponse: mode }, async (server) => {
          assert.deepEqual(await statuses(server, [{}, {}, {}]), [200, 200, 429]);
          await server.settled(2);
          assert.equal(logger.errors.filter((e) => e.includes('FG_HTTP_COUNT_RESPONSE_FAILED')).length, 2, mode);
          assert.equal(server.errors.length, 0);
        });
      }
    });

    test('a limit in shadow mode never causes a 429 and sends no headers; the enforced ones do', async () => {
      const limiter = new RateLimiter({
        limits: {
          user: fixedWindow({ limit: 3, window: '1m' }),
          trial: { policy: fixedWindow({ limit: 1, window: '1m' }), mode: 'shadow' },
        },
        clock: () => T0,
      });
      await withServer({ options: { limiter } }, async (server) => {
        const replies = [await get(server), await get(server), await get(server), await get(server)];
        assert.deepEqual(
          replies.map((r) => r.status),
          [200, 200, 200, 429],
        );
        for (const r of replies) {
          assert.deepEqual(
            items(r.headers['ratelimit-policy']).map(([name]) => name),
            ['user'],
          );
          assert.deepEqual(
            items(r.headers.ratelimit).map(([name]) => name),
            ['user'],
          );
        }
        assert.deepEqual(JSON.parse(replies[3]?.body ?? '')['violated-policies'], ['user']);
        const seen = server.decisions as SetDecision[];
        assert.deepEqual(
          seen.map((d) => d.shadowDenied),
          [false, true, true],
        );
      });
      const shadow = new RateLimiter({
        policy: fixedWindow({ limit: 1, window: '1m' }),
        mode: 'shadow',
        clock: () => T0,
      });
      await withServer({ options: { limiter: shadow, headers: 'both' } }, async (server) => {
        const replies = [await get(server), await get(server)];
        assert.deepEqual(
          replies.map((r) => r.status),
          [200, 200],
        );
        for (const r of replies) {
          for (const name of ['ratelimit', 'ratelimit-policy', 'x-ratelimit-remaining', 'retry-after']) {
            assert.equal(r.headers[name], undefined, name);
          }
        }
        assert.equal((await shadow.peek('127.0.0.1')).shadowDenied, true, 'the shadow limit did count');
      });
    });

    test('tiers: limiter(req) picks the limiter; each tier has its own headers', async () => {
      const free = limiterOf(fixedWindow({ limit: 1, window: '1m' }));
      const paid = new RateLimiter({ policy: slidingWindow({ limit: 100, window: '1m' }), clock: () => T0 });
      const setup: Setup = { options: {}, tierHeader: 'x-tier', tiers: { free, paid } };
      await withServer(setup, async (server) => {
        const paidReply = await get(server, { 'x-tier': 'paid' });
        assert.deepEqual(item(paidReply.headers['ratelimit-policy'])[1].get('q'), 100);
        assert.deepEqual(await statuses(server, [{}, {}, { 'x-tier': 'paid' }]), [200, 429, 200]);
      });
    });

    test('a tier function that returns no limiter is an error on the error path', async () => {
      const setup: Setup = { options: {}, tierHeader: 'x-tier', tiers: { free: { not: 'a limiter' } } };
      await withServer(setup, async (server) => {
        assert.equal((await get(server)).status, 500);
        assert.equal((server.errors[0] as { code?: string }).code, 'FG_LIMITER_INVALID');
      });
    });

    test("the handler of an admitted request sees the decision (req.rateLimit, c.get('rateLimit'), ...)", async () => {
      const limiter = userAndOrg();
      await withServer({ options: { limiter }, keyRecord: true }, async (server) => {
        await get(server, as('u1'));
        await get(server, as('u1'));
        const [first, second] = server.decisions as SetDecision[];
        assert.equal(first?.allowed, true);
        assert.equal(first?.remaining, 1);
        assert.equal(second?.remaining, 0);
        assert.equal(second?.limits.org?.remaining, 1);
        assert.deepEqual(second?.violated, []);
      });
    });
  });
}
