// Koa and NestJS servers of bench/lib/http-server.ts: bare, with flowgate, and with
// their best-known peer (koa-ratelimit's memory driver, @nestjs/throttler).
import 'reflect-metadata';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { Controller, Get, Module } from '@nestjs/common';
import { APP_GUARD, NestFactory, Reflector } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import Koa from 'koa';
// @ts-expect-error koa-ratelimit ships no types.
import koaRatelimit from 'koa-ratelimit';
import { rateLimit as flowgateKoa } from '../../src/http/koa.js';
import { FlowgateGuard, FlowgateModule } from '../../src/http/nestjs/index.js';
import type { RateLimiter } from '../../src/index.js';

export async function koaServer(config: string, limit: number, windowMs: number, limiter: () => RateLimiter) {
  const app = new Koa();
  if (config === 'koa+flowgate') app.use(flowgateKoa({ limiter: limiter() }));
  if (config === 'koa+koa-ratelimit') {
    app.use(
      koaRatelimit({
        driver: 'memory',
        db: new Map(),
        duration: windowMs,
        max: limit,
        id: (ctx: Koa.Context) => ctx.ip,
      }),
    );
  }
  app.use((ctx) => {
    ctx.body = { hello: 'world' };
  });
  return await new Promise<number>((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

export async function nestServer(config: string, limit: number, windowMs: number, limiter: () => RateLimiter) {
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
  if (config === 'nestjs+flowgate') {
    imports.push(FlowgateModule.forRoot({ limiter: limiter() }));
    providers.push({ provide: APP_GUARD, useClass: FlowgateGuard });
  }
  if (config === 'nestjs+@nestjs/throttler') {
    imports.push(ThrottlerModule.forRoot([{ ttl: windowMs, limit }]));
    providers.push({ provide: APP_GUARD, useClass: ThrottlerGuard });
    // @nestjs/throttler is CommonJS: under tsx its require('@nestjs/core') loads a second copy of
    // Nest 12's (ES module) core, whose Reflector is another class; hand it the app's.
    const cjsCore = createRequire(import.meta.url)('@nestjs/core') as { Reflector: unknown };
    if (cjsCore.Reflector !== Reflector) providers.push({ provide: cjsCore.Reflector, useExisting: Reflector });
  }
  class AppModule {}
  Module({ imports: imports as never[], controllers: [AppController], providers: providers as never[] })(AppModule);
  const app = await NestFactory.create(AppModule, new ExpressAdapter(), { logger: false, abortOnError: false });
  await app.listen(0, '127.0.0.1');
  return (app.getHttpServer().address() as AddressInfo).port;
}
