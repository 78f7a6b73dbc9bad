// flowgate/nestjs on Nest's Express and Fastify platforms, with real servers and requests.
// Decorators are applied as functions: the project compiles without experimentalDecorators.
import 'reflect-metadata';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { Controller, Get, type INestApplication, Module, type Type } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import {
  FlowgateGuard,
  FlowgateModule,
  type FlowgateModuleOptions,
  RateLimit,
  RateLimitDecision,
  RateLimitGuard,
  type RateLimitInfo,
  SkipRateLimit,
} from '../../src/http/nestjs/index.js';
import { fixedWindow, RateLimiter } from '../../src/index.js';
import { get, items, memoryLogger, type Reply, T0 } from './client.js';
import type { Running } from './harnesses.js';

const limiterOf = (limit: number) => new RateLimiter({ policy: fixedWindow({ limit, window: '1m' }), clock: () => T0 });

function decorate(target: Type, method: string, ...decorators: MethodDecorator[]): void {
  const descriptor = Object.getOwnPropertyDescriptor(target.prototype, method) as PropertyDescriptor;
  for (const decorator of decorators) decorator(target.prototype, method, descriptor);
}

/** An app with a global FlowgateGuard and routes that show each decorator. */
function appModule(options: FlowgateModuleOptions, login: RateLimiter) {
  class AppController {
    hello(decision: RateLimitInfo | undefined) {
      return { remaining: decision?.remaining ?? null };
    }
    health() {
      return 'ok';
    }
    login() {
      return 'ok';
    }
    search() {
      return 'ok';
    }
  }
  Controller()(AppController);
  decorate(AppController, 'hello', Get('/'));
  RateLimitDecision()(AppController.prototype, 'hello', 0);
  decorate(AppController, 'health', Get('health'), SkipRateLimit());
  decorate(AppController, 'login', Get('login'), RateLimit({ limiter: login }));
  decorate(AppController, 'search', Get('search'), RateLimit({ cost: 2 }));
  class AppModule {}
  Module({
    imports: [FlowgateModule.forRoot(options)],
    controllers: [AppController],
    providers: [{ provide: APP_GUARD, useClass: FlowgateGuard }],
  })(AppModule);
  return AppModule;
}

const platforms = [
  { name: 'NestJS on Express', adapter: () => new ExpressAdapter() },
  { name: 'NestJS on Fastify', adapter: () => new FastifyAdapter() },
];

for (const platform of platforms) {
  describe(platform.name, () => {
    async function withApp(options: FlowgateModuleOptions, login: RateLimiter, body: (s: Running) => Promise<void>) {
      const app: INestApplication = await NestFactory.create(appModule(options, login), platform.adapter() as never, {
        logger: false,
      });
      await app.listen(0, '127.0.0.1');
      const port = (app.getHttpServer().address() as AddressInfo).port;
      const server = { host: '127.0.0.1', port } as Running;
      try {
        await body(server);
      } finally {
        await app.close();
      }
    }
    const at = (server: Running, path: string, headers: Record<string, string> = {}): Promise<Reply> =>
      new Promise((resolve, reject) => {
        import('node:http').then(({ request }) => {
          const req = request({ host: server.host, port: server.port, path, headers, agent: false }, (res) => {
            let data = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => {
              data += c;
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
          });
          req.on('error', reject);
          req.end();
        }, reject);
      });

    test('the guard limits, answers 429 problem+json with Retry-After, and the handler sees the decision', async () => {
      await withApp({ limiter: limiterOf(2) }, limiterOf(1), async (server) => {
        const first = await get(server);
        assert.equal(first.status, 200);
        assert.deepEqual(JSON.parse(first.body), { remaining: 1 });
        assert.equal(first.headers.ratelimit, '"default";r=1;t=20');
        await get(server);
        const denied = await get(server);
        assert.equal(denied.status, 429);
        assert.equal(denied.headers['retry-after'], '20');
        assert.match(String(denied.headers['content-type']), /^application\/problem\+json/);
        const body = JSON.parse(denied.body);
        assert.equal(body.type, 'https://iana.org/assignments/http-problem-types#quota-exceeded');
        assert.deepEqual(body['violated-policies'], ['default']);
      });
    });

    test('@SkipRateLimit, @RateLimit({ limiter }) and @RateLimit({ cost })', async () => {
      const global = limiterOf(3);
      const login = limiterOf(1);
      await withApp({ limiter: global }, login, async (server) => {
        for (let i = 0; i < 3; i++) {
          const health = await at(server, '/health');
          assert.equal(health.status, 200);
          assert.equal(health.headers.ratelimit, undefined);
        }
        assert.deepEqual([(await at(server, '/login')).status, (await at(server, '/login')).status], [200, 429]);
        assert.equal((await global.peek('127.0.0.1')).remaining, 2, 'neither route spent the global limit');
        assert.equal((await at(server, '/search')).status, 200);
        assert.equal((await global.peek('127.0.0.1')).remaining, 0, 'search spent 2 of 3; peek takes the last');
      });
    });

    test('a limit set: every limit is a named item; a throwing key hook is a Nest 500, not a crash', async () => {
      const set = new RateLimiter({
        limits: { user: fixedWindow({ limit: 2, window: '1m' }), org: fixedWindow({ limit: 5, window: '1m' }) },
        clock: () => T0,
      });
      const logger = memoryLogger();
      const key = (req: { headers: Record<string, string> }) => {
        if (req.headers['x-fail'] !== undefined) throw new Error('key threw');
        return { user: req.headers['x-user'] ?? 'none', org: 'acme' };
      };
      await withApp({ limiter: set, key, logger }, limiterOf(1), async (server) => {
        const r = await get(server, { 'x-user': 'u1' });
        assert.deepEqual(
          items(r.headers.ratelimit).map(([name, p]) => [name, p.get('r')]),
          [
            ['user', 1],
            ['org', 4],
          ],
        );
        const failed = await get(server, { 'x-fail': '1' });
        assert.equal(failed.status, 500);
        assert.equal((await get(server, { 'x-user': 'u1' })).status, 200, 'still serving');
      });
    });

    test('shadow limits never deny and send no headers; countResponse refunds what it does not count', async () => {
      const set = new RateLimiter({
        limits: {
          user: fixedWindow({ limit: 2, window: '1m' }),
          trial: { policy: fixedWindow({ limit: 1, window: '1m' }), mode: 'shadow' },
        },
        clock: () => T0,
      });
      const countResponse = (res: { statusCode: number }) => res.statusCode >= 400;
      await withApp({ limiter: set, countResponse }, limiterOf(1), async (server) => {
        for (let i = 0; i < 3; i++) {
          const r = await get(server);
          assert.equal(r.status, 200, 'the user limit is refunded for each success; the shadow one never denies');
          assert.deepEqual(
            items(r.headers['ratelimit-policy']).map(([name]) => name),
            ['user'],
          );
        }
        // The refund follows the response: wait until it shows, never by the clock.
        for (let i = 0; i < 1000 && (await set.peek('127.0.0.1')).limits.user.remaining !== 1; i++) {
          await new Promise((resolve) => setImmediate(resolve));
        }
        assert.equal((await set.peek('127.0.0.1')).limits.user.remaining, 1, 'nothing counted: peek takes 1 of 2');
        // Refunded like the enforced limit, as it would be if it were enforced: still room.
        assert.equal((await set.peek('127.0.0.1')).shadowDenied, false);
      });
    });
  });
}

test('bad module options stop the start-up with flowgate codes', () => {
  assert.throws(() => FlowgateModule.forRoot({ limiter: limiterOf(1), windowMs: 5 } as never), {
    code: 'FG_UNKNOWN_OPTION',
  });
  assert.throws(() => RateLimit({ cost: 0 }), /@RateLimit\(\)\.cost: received 0/);
  assert.throws(() => RateLimitGuard({ limiter: limiterOf(1), onLimited: 'log' } as never), {
    code: 'FG_HTTP_OPTION_INVALID',
    message: /RateLimitGuard\.onLimited/,
  });
  assert.throws(() => FlowgateModule.forRoot({ limiter: limiterOf(1), ipv6Subnet: 0 }), {
    code: 'FG_IPV6_SUBNET_INVALID',
  });
});
