// On Express, flowgate/express makes `req.rateLimit` an accessor on the app's request
// prototype (an own property per request costs a hidden class each, see
// src/http/request-decision.ts). Whatever assigns `req.rateLimit` itself must still
// work as with a plain property: express-rate-limit before or after flowgate, two
// flowgate middlewares stacked, a handler that assigns it, a sub-app.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import express5 from 'express';
import { rateLimit as expressRateLimit } from 'express-rate-limit';
// @ts-expect-error express4 is an npm alias of express@4 and has no types of its own.
import express4 from 'express4';
import { rateLimit } from '../../src/http/express.js';
import { fixedWindow, RateLimiter } from '../../src/index.js';
import { T0 } from './client.js';

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;
interface App {
  use(...handlers: unknown[]): void;
  get(path: string, ...handlers: unknown[]): void;
}

const limiterOf = (limit: number) => new RateLimiter({ policy: fixedWindow({ limit, window: '1m' }), clock: () => T0 });
/** express-rate-limit as its README sets it up, quiet (its checks are about proxies, not this test). */
const peer = () => expressRateLimit({ limit: 50, standardHeaders: 'draft-8', legacyHeaders: false, validate: false });

/** Serves `app` until `run` is done; `seen` holds what each handler found on `req.rateLimit`. */
async function withApp(app: App, run: (get: (path?: string) => Promise<number>) => Promise<void>): Promise<void> {
  const server = createServer(app as never);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  try {
    await run(async (path = '/') => (await fetch(`http://127.0.0.1:${port}${path}`)).status);
  } finally {
    server.close();
    server.closeAllConnections();
  }
}

for (const [name, express] of [
  ['express 5', express5],
  ['express 4', express4],
] as [string, () => App][]) {
  describe(`${name}: req.rateLimit`, () => {
    const record = (seen: unknown[]) => (req: IncomingMessage & { rateLimit?: unknown }, res: ServerResponse) => {
      seen.push(req.rateLimit);
      res.end('ok');
    };

    test('the handler finds the decision; each request its own; a skipped request none', async () => {
      const limiter = limiterOf(10);
      const app = express();
      const seen: unknown[] = [];
      app.use(rateLimit({ limiter, skip: (req) => req.url === '/skipped' }));
      const own: boolean[] = [];
      app.use((req: IncomingMessage, _res: ServerResponse, next: () => void) => {
        own.push(Object.hasOwn(req, 'rateLimit'));
        next();
      });
      app.get('/', record(seen));
      app.get('/skipped', record(seen));
      await withApp(app, async (get) => {
        assert.deepEqual([await get(), await get(), await get('/skipped')], [200, 200, 200]);
      });
      assert.deepEqual(own, [false, false, false], 'no property per request: the accessor on the prototype');
      assert.deepEqual(
        seen.map((d) => (d as { remaining?: number } | undefined)?.remaining),
        [9, 8, undefined],
      );
    });

    test('express-rate-limit before flowgate: the handler finds flowgate’s decision, the later one', async () => {
      const app = express();
      const seen: unknown[] = [];
      app.use(peer());
      app.use(rateLimit({ limiter: limiterOf(10) }));
      app.get('/', record(seen));
      await withApp(app, async (get) => {
        assert.equal(await get(), 200);
      });
      const [decision] = seen as { remaining: number; resetMs?: number; used?: number }[];
      assert.equal(decision?.remaining, 9);
      assert.equal(typeof decision?.resetMs, 'number', 'a flowgate decision');
      assert.equal(decision?.used, undefined, 'not express-rate-limit’s info');
    });

    test('flowgate before express-rate-limit: the handler finds express-rate-limit’s info, the later one', async () => {
      const app = express();
      const seen: unknown[] = [];
      app.use(rateLimit({ limiter: limiterOf(10) }));
      app.use(peer());
      app.get('/', record(seen));
      await withApp(app, async (get) => {
        assert.deepEqual([await get(), await get()], [200, 200]);
      });
      assert.deepEqual(
        seen.map((info) => [(info as { used: number }).used, (info as { remaining: number }).remaining]),
        [
          [1, 49],
          [2, 48],
        ],
      );
    });

    test('two flowgate middlewares stacked: the handler finds the later one’s decision', async () => {
      const app = express();
      const seen: unknown[] = [];
      app.use(rateLimit({ limiter: limiterOf(10), policyName: 'first' }));
      app.use(rateLimit({ limiter: limiterOf(100), policyName: 'second' }));
      app.get('/', record(seen));
      await withApp(app, async (get) => {
        assert.deepEqual([await get(), await get()], [200, 200]);
      });
      assert.deepEqual(
        seen.map((d) => (d as { limit: number; remaining: number }).limit),
        [100, 100],
      );
    });

    test('a middleware that assigns req.rateLimit after flowgate: the handler finds what it assigned', async () => {
      const app = express();
      const seen: unknown[] = [];
      app.use(rateLimit({ limiter: limiterOf(10) }));
      app.use((req: IncomingMessage, _res: ServerResponse, next: () => void) => {
        const bag = req as { rateLimit?: unknown };
        bag.rateLimit = { mine: (bag.rateLimit as { remaining: number }).remaining };
        next();
      });
      app.get('/', record(seen));
      await withApp(app, async (get) => {
        assert.equal(await get(), 200);
      });
      assert.deepEqual(seen, [{ mine: 9 }]);
    });

    test('an app whose request prototype is sealed: the decision is an own property instead', async () => {
      const app = express() as App & { request: object };
      Object.preventExtensions(app.request);
      const seen: unknown[] = [];
      app.use(rateLimit({ limiter: limiterOf(10) }));
      app.get('/', record(seen));
      await withApp(app, async (get) => {
        assert.equal(await get(), 200);
      });
      assert.equal((seen[0] as { remaining: number } | undefined)?.remaining, 9);
    });

    test('a sub-app (its own request prototype) with its own flowgate middleware', async () => {
      const app = express();
      const sub = express();
      const seen: unknown[] = [];
      app.use(rateLimit({ limiter: limiterOf(10), policyName: 'outer' }));
      sub.use(rateLimit({ limiter: limiterOf(100), policyName: 'inner' }));
      sub.get('/', record(seen));
      app.use('/sub', sub as unknown as Middleware);
      app.get('/', record(seen));
      await withApp(app, async (get) => {
        assert.deepEqual([await get('/sub/'), await get('/')], [200, 200]);
      });
      assert.deepEqual(
        seen.map((d) => (d as { limit: number }).limit),
        [100, 10],
      );
    });
  });
}
