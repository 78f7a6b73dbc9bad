/**
 * Attack (two buggy hooks at once): `countResponse` throws, and so does the
 * `logger` that reports it. The failure is reported from the response's
 * 'finish' event, after the response has gone: the logger's error escaped
 * the event listener as an uncaught exception, which ends a Node process. An
 * async logger that rejects left an unhandled rejection, which does too. A
 * log line is now written so that nothing the logger does escapes.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { rateLimit } from '../../src/http/node.js';
import { fixedWindow, RateLimiter } from '../../src/index.js';

const LOGGERS = {
  throws: {
    warn(): void {
      throw new Error('log sink closed');
    },
    error(): void {
      throw new Error('log sink closed');
    },
  },
  rejects: {
    warn: async (): Promise<void> => {
      throw new Error('log shipper disconnected');
    },
    error: async (): Promise<void> => {
      throw new Error('log shipper disconnected');
    },
  },
};

for (const [how, logger] of Object.entries(LOGGERS)) {
  test(`countResponse throws and the logger ${how}: the process lives and the request stays counted`, async () => {
    const escaped: unknown[] = [];
    const onEscape = (error: unknown): void => {
      escaped.push(error);
    };
    process.on('uncaughtException', onEscape);
    process.on('unhandledRejection', onEscape);
    const limiter = new RateLimiter({
      policy: fixedWindow({ limit: 5, window: '1m' }),
      clock: () => 1_900_000_000_000,
    });
    let asked: () => void = () => {};
    const counted = new Promise<void>((resolve) => {
      asked = resolve;
    });
    const middleware = rateLimit({
      limiter,
      logger,
      countResponse: () => {
        asked();
        throw new Error('countResponse bug');
      },
    });
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      middleware(req, res, (error?: unknown) => {
        res.statusCode = error === undefined ? 200 : 500;
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/`);
      assert.equal(res.status, 200);
      await counted;
      // Uncaught exceptions and unhandled rejections are reported by the end of this turn.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(escaped, []);
      assert.equal((await limiter.peek('127.0.0.1')).remaining, 3, 'the request stays counted');
    } finally {
      process.off('uncaughtException', onEscape);
      process.off('unhandledRejection', onEscape);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
}
