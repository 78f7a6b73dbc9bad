// NestJS servers of bench/lib/http-server.ts, on its Express platform (`nestjs...`) or its
// Fastify one (`nestjs-fastify...`): bare, with flowgate, with @nestjs/throttler, and
// `nestjs+noop-guard`, a global guard that admits everything: what Nest's guard pipeline
// itself costs, which any guard (flowgate's, the throttler's) pays.
import 'reflect-metadata';
import type { RequestListener } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { Controller, Get, Module } from '@nestjs/common';
import { APP_GUARD, NestFactory, Reflector } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { FlowgateGuard, FlowgateModule } from '../../src/http/nestjs/index.js';
import type { RateLimiter } from '../../src/index.js';
import { type BenchApp, type Injected, nodeApp } from './http-app.js';

export async function nestServer(
  config: string,
  limit: number,
  windowMs: number,
  limiter: () => RateLimiter,
): Promise<BenchApp> {
  class AppController {
    hello() {
      return { hello: 'world' };
    }
  }
  Controller()(AppController);
  const descriptor = Object.getOwnPropertyDescriptor(AppController.prototype, 'hello') as PropertyDescriptor;
  Get()(AppController.prototype, 'hello', descriptor);
  const imports: unknown[] = [];
  const providers: unknown[] = [];
  const [base, extra] = config.split('+');
  if (extra === 'noop-guard') providers.push({ provide: APP_GUARD, useValue: { canActivate: () => true } });
  if (extra === 'flowgate') {
    imports.push(FlowgateModule.forRoot({ limiter: limiter() }));
    providers.push({ provide: APP_GUARD, useClass: FlowgateGuard });
  }
  if (extra === '@nestjs/throttler') {
    imports.push(ThrottlerModule.forRoot([{ ttl: windowMs, limit }]));
    providers.push({ provide: APP_GUARD, useClass: ThrottlerGuard });
    // @nestjs/throttler is CommonJS: under tsx its require('@nestjs/core') loads a second copy of
    // Nest 12's (ES module) core, whose Reflector is another class; hand it the app's.
    const cjsCore = createRequire(import.meta.url)('@nestjs/core') as { Reflector: unknown };
    if (cjsCore.Reflector !== Reflector) providers.push({ provide: cjsCore.Reflector, useExisting: Reflector });
  }
  class AppModule {}
  Module({ imports: imports as never[], controllers: [AppController], providers: providers as never[] })(AppModule);
  const adapter = base === 'nestjs-fastify' ? new FastifyAdapter() : new ExpressAdapter();
  const app = await NestFactory.create(AppModule, adapter as never, { logger: false, abortOnError: false });
  await app.init();
  const platform = app.getHttpAdapter().getInstance() as { inject?: (o: object) => Promise<Injected> };
  return {
    listen: async () => {
      await app.listen(0, '127.0.0.1');
      return (app.getHttpServer().address() as AddressInfo).port;
    },
    // On Fastify, its own inject (light-my-request inside); on Express, the express app is the listener.
    inject: platform.inject
      ? () => (platform.inject as (o: object) => Promise<Injected>)({ method: 'GET', url: '/' })
      : nodeApp(platform as unknown as RequestListener).inject,
  };
}
