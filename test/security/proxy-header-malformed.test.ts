// A proxy header that is malformed within the hops trustProxy trusts: either
// the proxy passes the client's header on without appending (misconfigured),
// or trustProxy counts more proxies than there are, so the walk reaches the
// client's text. No proxy writes such an element, so the header is not
// trusted at all: the request is keyed by its socket address (never by a
// value the client chose, nor by a neighbouring element), and the middleware
// reports it once, as FG_HTTP_PROXY_HEADER_MALFORMED, through its logger.
// The test connects directly and plays the misconfigured proxy (127.0.0.1,
// trusted as one hop) on every framework.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProxyHeader } from '../../src/http/forwarded.js';
import { fixedWindow, RateLimiter } from '../../src/index.js';
import { harnesses } from '../http/harnesses.js';
import { memoryLogger } from './attack-suite.js';
import { type FieldLine, rawRequest } from './raw-request.js';

const cases: [ProxyHeader, FieldLine[]][] = [
  ['x-forwarded-for', [['X-Forwarded-For', '6.6.6.6, not-an-ip']]],
  ['x-forwarded-for', [['X-Forwarded-For', `6.6.6.6, ${'1'.repeat(600)}`]]],
  ['x-forwarded-for', [['X-Forwarded-For', '6.6.6.6:http']]],
  ['forwarded', [['Forwarded', 'for=6.6.6.6;for=7.7.7.7']]],
  ['forwarded', [['Forwarded', 'for="6.6.6.6']]],
  ['forwarded', [['Forwarded', 'for=[2001:db8::6]']]],
  ['x-real-ip', [['X-Real-IP', '6.6.6.6, 7.7.7.7']]],
  ['x-real-ip', [['X-Real-IP', 'junk']]],
  [
    'x-real-ip',
    [
      ['X-Real-IP', '6.6.6.6'],
      ['X-Real-IP', '7.7.7.7'],
    ],
  ],
];

for (const harness of harnesses) {
  test(`${harness.name}: a malformed trusted hop is not trusted at all, and reported once`, async () => {
    for (const proxyHeader of ['x-forwarded-for', 'forwarded', 'x-real-ip'] as const) {
      const limiter = new RateLimiter({ policy: fixedWindow({ limit: 100, window: '1m' }), clock: () => 1 });
      const logger = memoryLogger();
      const server = await harness.start({ options: { limiter, trustProxy: 1, proxyHeader, logger } });
      try {
        let sent = 0;
        for (const [header, fields] of cases) {
          if (header !== proxyHeader) continue;
          for (let repeat = 0; repeat < 2; repeat++, sent++) {
            assert.equal((await rawRequest({ host: '127.0.0.1', port: server.port }, fields)).status, 200);
          }
        }
        assert.equal((await limiter.peek('127.0.0.1')).remaining, 100 - sent - 1, 'all keyed by the socket');
        for (const forged of ['6.6.6.6', '7.7.7.7', '2001:db8::/64']) {
          assert.equal((await limiter.peek(forged)).remaining, 99, `${forged} never counted`);
        }
        assert.equal(logger.warns.length, 1, logger.warns.join('\n'));
        assert.match(logger.warns[0] as string, /FG_HTTP_PROXY_HEADER_MALFORMED.*/);
        assert.match(logger.warns[0] as string, new RegExp(`the ${proxyHeader} header`));
      } finally {
        await server.close();
      }
    }
  });
}
