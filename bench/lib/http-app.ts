// What bench/lib/http-server.ts serves, whatever the framework: an app that listens on
// 127.0.0.1 (the socket transport) or answers one injected request (the inject transport).
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A status code, as light-my-request's response and Fastify's inject give it. */
export interface Injected {
  statusCode: number;
}

/** A served app: listen on 127.0.0.1 (bench/http.ts's socket transport) or answer one injected request. */
export interface BenchApp {
  listen(): Promise<number>;
  inject(): Promise<Injected>;
}

/** A node request listener (Express app, Koa callback) as a {@link BenchApp}. */
export function nodeApp(listener: RequestListener): BenchApp {
  return {
    listen: () =>
      new Promise<number>((resolve) => {
        const server = createServer(listener).listen(0, '127.0.0.1', () =>
          resolve((server.address() as AddressInfo).port),
        );
      }),
    // Loaded when first used: a server that only listens does not load it (see http-server.ts).
    inject: async () => {
      const { inject } = await import('light-my-request');
      return inject(listener, { method: 'GET', url: '/', remoteAddress: '127.0.0.1' });
    },
  };
}
