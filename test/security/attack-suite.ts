/**
 * One attack-test shape, run on every framework with a real nginx in front:
 * a client sends a trick in a proxy header, nginx appends the client's real
 * address, and the middleware must key every request by that real address.
 * The forged address changes with each request, so a middleware that
 * believed the client would admit all of them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ProxyHeader } from '../../src/http/forwarded.js';
import { fixedWindow, RateLimiter } from '../../src/index.js';
import { harnesses } from '../http/harnesses.js';
import { type Nginx, startNginx } from './nginx.js';
import { type FieldLine, rawRequest } from './raw-request.js';

export interface Trick {
  name: string;
  /** The client's field lines for request `i`. */
  fields(i: number): FieldLine[];
  /** The key request `i` tries to get, if it has one: it must never be counted. */
  forged?(i: number): string;
}

export const LIMIT = 3;
// Enough to tell "the limit holds" (3 pass) from "every forged key is new" (all pass), and quick.
export const REQUESTS = 8;
const T0 = 1_000_000;

/** The test client reaches nginx from an address of its own, so the proxy (127.0.0.1) and the client differ. */
export const CLIENTS = [
  { family: 'IPv4', host: '127.0.0.1', localAddress: '127.0.0.2', key: '127.0.0.2' },
  { family: 'IPv6', host: '::1', localAddress: '::1', key: '::/64' },
] as const;

/** nginx reaches the framework from 127.0.0.1: trusted as one hop, or by address. */
export const TRUST_SETTINGS: readonly (number | string[])[] = [1, ['127.0.0.1']];

export function memoryLogger() {
  const warns: string[] = [];
  const errors: string[] = [];
  return { warns, errors, warn: (m: string) => warns.push(m), error: (m: string) => errors.push(m) };
}

/** Registers, for each framework and trust setting, one test that plays every trick from IPv4 and IPv6 clients. */
export function proxyAttackSuite(title: string, proxyHeader: ProxyHeader, tricks: readonly Trick[]): void {
  describe(title, () => {
    let nginx: Nginx;
    before(async () => {
      nginx = await startNginx();
    });
    after(async () => {
      await nginx?.stop();
    });

    for (const harness of harnesses) {
      for (const trustProxy of TRUST_SETTINGS) {
        test(`${harness.name}, trustProxy ${JSON.stringify(trustProxy)}: ${LIMIT} of ${REQUESTS} pass, keyed by the real client`, async () => {
          const logger = memoryLogger();
          const limiter = new RateLimiter({ policy: fixedWindow({ limit: LIMIT, window: '1m' }), clock: () => T0 });
          const server = await harness.start({ options: { limiter, trustProxy, proxyHeader, logger } });
          try {
            for (const trick of tricks) {
              for (const client of CLIENTS) {
                await limiter.reset(client.key);
                const statuses: number[] = [];
                for (let i = 0; i < REQUESTS; i++) {
                  const target = { host: client.host, port: nginx.port, localAddress: client.localAddress };
                  const reply = await rawRequest(target, [
                    ['X-Test-Upstream', String(server.port)],
                    ...trick.fields(i),
                  ]);
                  statuses.push(reply.status);
                }
                const passed = statuses.filter((s) => s === 200).length;
                assert.deepEqual(
                  { passed, statuses },
                  { passed: LIMIT, statuses: [...Array(LIMIT).fill(200), ...Array(REQUESTS - LIMIT).fill(429)] },
                  `${trick.name}, ${client.family} client`,
                );
                assert.equal((await limiter.peek(client.key)).remaining, 0, `${trick.name}: the real client is spent`);
                for (let i = 0; trick.forged && i < REQUESTS; i++) {
                  const forged = trick.forged(i);
                  assert.equal(
                    (await limiter.peek(forged)).remaining,
                    LIMIT - 1,
                    `${trick.name}: ${forged} never counted`,
                  );
                }
              }
            }
            // nginx's own element is always well-formed: nothing to report.
            assert.deepEqual(logger.warns, []);
          } finally {
            await server.close();
          }
        });
      }
    }
  });
}
