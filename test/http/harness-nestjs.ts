// NestJS in the one adapter suite, on its Express and on its Fastify platform: the
// suite's Setup as a Nest app. The module's FlowgateGuard is the first limiter; a
// stacked one is a second global guard from RateLimitGuard(options); "mounted twice"
// is FlowgateGuard both global and on the controller (@UseGuards), the mistake a Nest
// user would make. Decorators are applied as functions: the project compiles without
// experimentalDecorators.
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import {
  type ArgumentsHost,
  Catch,
  Controller,
  type ExceptionFilter,
  Get,
  InternalServerErrorException,
  Module,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { FlowgateGuard, FlowgateModule, RateLimitDecision, RateLimitGuard } from '../../src/http/nestjs/index.js';
import type { Decision } from '../../src/index.js';
import {
  fresh,
  type Harness,
  type HeaderOf,
  options,
  type StatusOf,
  stackedOptions,
  statusFor,
  track,
} from './harnesses.js';

/** Express's response and Fastify's reply share these. */
interface NestReply {
  status(code: number): NestReply;
  send(body: string): unknown;
}

const header: HeaderOf = (req, name) => (req as { headers: Record<string, string | undefined> }).headers[name];
const statusOf: StatusOf = (res) => (res as { statusCode: number }).statusCode;

export function nestHarness(name: string, platform: 'express' | 'fastify'): Harness {
  return {
    name,
    // A guard is a provider Nest builds at start-up, not something made in a handler.
    perRequest: false,
    async start(setup) {
      const running = fresh(setup);
      const onLimited = (_req: unknown, res: NestReply, decision: Decision) => {
        running.limited.push(decision);
        if (setup.onLimited === 'replace') res.status(418).send('custom');
      };
      const module = FlowgateModule.forRoot(options(setup, header, onLimited, running, statusOf) as never);
      const guards: unknown[] = [{ provide: APP_GUARD, useClass: FlowgateGuard }];
      if (setup.stacked) {
        guards.push({ provide: APP_GUARD, useClass: RateLimitGuard(stackedOptions(setup, header) as never) });
      }

      class AppController {
        hello(req: unknown, res: NestReply, decision: unknown) {
          running.handled++;
          running.decisions.push(decision);
          res.status(statusFor(header(req, 'x-status')));
          return 'ok';
        }
      }
      Controller()(AppController);
      if (setup.mount === 'twice') UseGuards(FlowgateGuard)(AppController);
      const descriptor = Object.getOwnPropertyDescriptor(AppController.prototype, 'hello') as PropertyDescriptor;
      Get('/')(AppController.prototype, 'hello', descriptor);
      Req()(AppController.prototype, 'hello', 0);
      Res({ passthrough: true })(AppController.prototype, 'hello', 1);
      RateLimitDecision()(AppController.prototype, 'hello', 2);

      // Errors of hooks reach Nest's error path as a 500 that carries them as its cause.
      class Errors implements ExceptionFilter {
        catch(exception: InternalServerErrorException, host: ArgumentsHost) {
          running.errors.push(exception.cause ?? exception);
          host.getArgByIndex<NestReply>(1).status(500).send('error');
        }
      }
      Catch(InternalServerErrorException)(Errors);

      class AppModule {}
      Module({ imports: [module], controllers: [AppController], providers: guards as never[] })(AppModule);
      const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter();
      const app = await NestFactory.create(AppModule, adapter as never, { logger: false, abortOnError: false });
      app.useGlobalFilters(new Errors());
      const server = app.getHttpServer();
      track(server, running);
      await app.listen(0, running.host);
      running.port = (server.address() as AddressInfo).port;
      running.close = async () => {
        server.closeAllConnections();
        await app.close();
      };
      return running;
    },
  };
}
