// Attack: the proxy header sent on several field lines. RFC 9110 makes them
// one comma-joined list; node joins them with ", " (X-Forwarded-For,
// Forwarded, X-Real-IP alike). What a proxy does varies: nginx joins every
// X-Forwarded-For line into $proxy_add_x_forwarded_for, but before 1.23 its
// $http_forwarded holds only the first Forwarded line (1.23 joins them);
// HAProxy-style proxies add their own line after the client's. In every case
// the proxy's element comes last, so it is read first, and a line the client
// left open (an unclosed quote) cannot swallow it.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { MAX_ELEMENT_CHARS, ProxyHeaderReader } from '../../src/http/forwarded.js';
import { clientAddress, walkProxies } from '../../src/http/identity.js';
import { fixedWindow, RateLimiter } from '../../src/index.js';
import { harnesses } from '../http/harnesses.js';
import { LIMIT, memoryLogger, proxyAttackSuite, REQUESTS, type Trick } from './attack-suite.js';
import { type Nginx, startNginx } from './nginx.js';
import { rawRequest } from './raw-request.js';

const forged = (i: number) => `10.0.0.${i + 1}`;

proxyAttackSuite('repeated X-Forwarded-For lines, through nginx', 'x-forwarded-for', [
  {
    name: 'two lines',
    fields: (i) => [
      ['X-Forwarded-For', forged(i)],
      ['X-Forwarded-For', forged(i + 100)],
    ],
    forged,
  },
] satisfies Trick[]);

proxyAttackSuite('repeated Forwarded lines, through nginx', 'forwarded', [
  {
    name: 'an unclosed quote, then a second line',
    fields: (i) => [
      ['Forwarded', `for=${forged(i)};x="`],
      ['Forwarded', `for=${forged(i + 100)}`],
    ],
    forged,
  },
  {
    name: 'a clean line, then an unclosed quote',
    fields: (i) => [
      ['Forwarded', `for=${forged(i)}`],
      ['Forwarded', `for=${forged(i + 100)};x="`],
    ],
    forged,
  },
] satisfies Trick[]);

proxyAttackSuite('repeated X-Real-IP lines, through nginx', 'x-real-ip', [
  {
    name: 'two lines',
    fields: (i) => [
      ['X-Real-IP', forged(i)],
      ['X-Real-IP', forged(i + 100)],
    ],
    forged,
  },
] satisfies Trick[]);

describe('what nginx forwards for repeated lines', () => {
  let nginx: Nginx;
  const seen: IncomingMessage['headers'][] = [];
  const echo = createServer((req, res) => {
    seen.push(req.headers);
    res.end();
  });
  before(async () => {
    nginx = await startNginx();
    echo.listen(0, '127.0.0.1');
    await once(echo, 'listening');
  });
  after(async () => {
    await nginx?.stop();
    echo.close();
  });

  test('the proxy element is always last; Forwarded keeps only the first line before nginx 1.23', async (t) => {
    t.diagnostic(`nginx ${nginx.version}`);
    const upstream = String((echo.address() as AddressInfo).port);
    await rawRequest({ host: '127.0.0.1', port: nginx.port, localAddress: '127.0.0.2' }, [
      ['X-Test-Upstream', upstream],
      ['X-Forwarded-For', '10.0.0.1'],
      ['X-Forwarded-For', '10.0.0.2'],
      ['Forwarded', 'for=10.0.0.3;x="'],
      ['Forwarded', 'for=10.0.0.4'],
      ['X-Real-IP', '10.0.0.5'],
      ['X-Real-IP', '10.0.0.6'],
    ]);
    const headers = seen.at(-1) as IncomingMessage['headers'];
    assert.equal(headers['x-forwarded-for'], '10.0.0.1, 10.0.0.2, 127.0.0.2');
    const [major, minor] = nginx.versionNumbers;
    const joinsLines = major > 1 || (major === 1 && minor >= 23);
    assert.equal(
      headers.forwarded,
      joinsLines ? 'for=10.0.0.3;x=", for=10.0.0.4, for=127.0.0.2' : 'for=10.0.0.3;x=", for=127.0.0.2',
    );
    assert.equal(headers['x-real-ip'], '127.0.0.2');
  });
});

// A proxy that adds its own field line after the client's (HAProxy's
// `http-request add-header`, or `option forwardfor` on a request that
// already had one). The test plays that proxy: it connects from 127.0.0.1
// (trusted as one hop) and appends the line naming the client, 127.0.0.9.
describe('repeated lines sent directly by a proxy that appends a line of its own', () => {
  const cases = [
    {
      proxyHeader: 'x-forwarded-for',
      lines: (i: number): [string, string][] => [
        ['X-Forwarded-For', forged(i)],
        ['X-Forwarded-For', '127.0.0.9'],
      ],
    },
    {
      proxyHeader: 'forwarded',
      lines: (i: number): [string, string][] => [
        ['Forwarded', `for=${forged(i)};x="`],
        ['Forwarded', 'for=127.0.0.9'],
      ],
    },
    {
      proxyHeader: 'forwarded',
      lines: (i: number): [string, string][] => [
        ['Forwarded', `for="${forged(i)}\\"`],
        ['Forwarded', 'for="[::ffff:127.0.0.9]"'],
      ],
    },
  ] as const;
  for (const harness of harnesses) {
    test(`${harness.name}: the last line names the client`, async () => {
      for (const { proxyHeader, lines } of cases) {
        const limiter = new RateLimiter({ policy: fixedWindow({ limit: LIMIT, window: '1m' }), clock: () => 1 });
        const logger = memoryLogger();
        const server = await harness.start({ options: { limiter, trustProxy: 1, proxyHeader, logger } });
        try {
          const statuses: number[] = [];
          for (let i = 0; i < REQUESTS; i++) {
            statuses.push((await rawRequest({ host: '127.0.0.1', port: server.port }, lines(i))).status);
          }
          assert.equal(statuses.filter((s) => s === 200).length, LIMIT, `${proxyHeader}: ${statuses}`);
          assert.equal((await limiter.peek('127.0.0.9')).remaining, 0);
          assert.deepEqual(logger.warns, []);
        } finally {
          await server.close();
        }
      }
    });
  }
});

test('headers given as arrays of field lines are read from the last line', () => {
  const trust1 = (_ip: string, hop: number) => hop < 1;
  const trust2 = (_ip: string, hop: number) => hop < 2;
  const forwarded = { forwarded: ['for=6.6.6.6;x="', 'for=203.0.113.7'] };
  assert.equal(clientAddress('10.0.0.2', forwarded, trust1, 'forwarded'), '203.0.113.7');
  // Trusted two deep, the walk reaches the client's open quote: not trusted at all.
  assert.equal(clientAddress('10.0.0.2', forwarded, trust2, 'forwarded'), '10.0.0.2');
  const xff = { 'x-forwarded-for': ['6.6.6.6', '', ' ', '198.51.100.1, 203.0.113.7'] };
  assert.equal(clientAddress('10.0.0.2', xff, trust1, 'x-forwarded-for'), '203.0.113.7');
  assert.equal(clientAddress('10.0.0.2', xff, trust2, 'x-forwarded-for'), '198.51.100.1');
  assert.equal(
    clientAddress('10.0.0.2', xff, (_ip, hop) => hop < 3, 'x-forwarded-for'),
    '6.6.6.6',
  );
  // Two X-Real-IP lines: which one the proxy set is unknowable.
  assert.equal(clientAddress('10.0.0.2', { 'x-real-ip': ['6.6.6.6', '203.0.113.7'] }, trust1, 'x-real-ip'), '10.0.0.2');
  // No field line at all: nothing to read (not malformed), the trusted socket peer is the client.
  const reader = new ProxyHeaderReader();
  for (const header of ['x-forwarded-for', 'forwarded'] as const) {
    assert.equal(walkProxies('10.0.0.2', { [header]: [] }, trust1, header, reader), '10.0.0.2');
    assert.equal(reader.problem, '', header);
  }
  // A flood of empty lines is bounded like a long line: refused, not walked.
  const empty = { 'x-forwarded-for': Array(100_000).fill('') };
  assert.equal(walkProxies('10.0.0.2', empty, trust1, 'x-forwarded-for', reader), '10.0.0.2');
  assert.equal(reader.problem, 'too many empty field lines');
  assert.ok(reader.scanned <= 3 * MAX_ELEMENT_CHARS, `scanned ${reader.scanned}`);
});
