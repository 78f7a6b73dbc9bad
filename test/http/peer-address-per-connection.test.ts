/**
 * Attack on the peer address kept per connection (src/http/peer-address.ts,
 * Fastify): requests must still be told apart by their own client. Over
 * HTTP/2 (Fastify's `http2: true`, whose `request.raw.socket` is node's
 * compatibility Proxy over the session's socket, shared by every stream),
 * two sessions from different addresses each get their own limit. Behind a
 * trusted proxy, requests on one keep-alive connection from the proxy are
 * keyed by their own X-Forwarded-For: a header-derived client is never kept
 * with the connection. A socket closed before its address was read (node's
 * remoteAddress undefined) keeps nothing, and is asked again next time.
 */
import assert from 'node:assert/strict';
import { Agent, request as httpRequest } from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import Fastify from 'fastify';
import { rateLimit } from '../../src/http/fastify.js';
import { peerAddress } from '../../src/http/peer-address.js';
import { fixedWindow, RateLimiter } from '../../src/index.js';

const limiterOf = (limit: number) =>
  new RateLimiter({ policy: fixedWindow({ limit, window: '1m' }), clock: () => 1_900_000_000_000 });

function h2Status(session: http2.ClientHttp2Session): Promise<number> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':path': '/' });
    let status = 0;
    stream.on('response', (headers) => {
      status = Number(headers[':status']);
    });
    stream.resume();
    stream.on('end', () => resolve(status));
    stream.on('error', reject);
  });
}

test('HTTP/2: each session is limited by its own peer address, across its streams', async () => {
  const app = Fastify({ http2: true });
  await app.register(rateLimit, { limiter: limiterOf(2), trustProxy: false });
  app.get('/', async (request) => request.raw.socket.remoteAddress);
  await app.listen({ port: 0, host: '::' });
  const { port } = app.server.address() as AddressInfo;
  const v4 = http2.connect(`http://127.0.0.1:${port}`);
  const v6 = http2.connect(`http://[::1]:${port}`);
  try {
    const seen: [string, number][] = [];
    for (const [name, session] of [
      ['v4', v4],
      ['v4', v4],
      ['v6', v6],
      ['v6', v6],
      ['v4', v4],
      ['v6', v6],
    ] as const) {
      seen.push([name, await h2Status(session)]);
    }
    assert.deepEqual(seen, [
      ['v4', 200],
      ['v4', 200],
      ['v6', 200],
      ['v6', 200],
      ['v4', 429],
      ['v6', 429],
    ]);
  } finally {
    v4.close();
    v6.close();
    await app.close();
  }
});

test('behind a trusted proxy, requests on one keep-alive connection are keyed by their own header', async () => {
  const limiter = limiterOf(1);
  const app = Fastify();
  await app.register(rateLimit, { limiter, trustProxy: 1 });
  app.get('/', async () => 'ok');
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const sockets = new Set<unknown>();
  const get = (client: string) =>
    new Promise<number>((resolve, reject) => {
      const req = httpRequest({ port, host: '127.0.0.1', path: '/', agent, headers: { 'x-forwarded-for': client } });
      req.on('socket', (socket) => sockets.add(socket));
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
  try {
    const statuses = [];
    for (const client of ['198.51.100.1', '198.51.100.2', '198.51.100.1', '198.51.100.3'])
      statuses.push(await get(client));
    assert.equal(sockets.size, 1, 'one connection');
    assert.deepEqual(statuses, [200, 200, 429, 200]);
    assert.equal((await limiter.peek('198.51.100.2')).allowed, false);
  } finally {
    agent.destroy();
    await app.close();
  }
});

test('a socket whose address is unknown at first keeps nothing until node knows it, then keeps it', () => {
  const answers = [undefined, undefined, '2001:db8::7', undefined];
  let asked = 0;
  const socket = {
    get remoteAddress() {
      return answers[asked++];
    },
  } as unknown as Parameters<typeof peerAddress>[0];
  assert.deepEqual(
    [peerAddress(socket), peerAddress(socket), peerAddress(socket), peerAddress(socket)],
    [undefined, undefined, '2001:db8::7', '2001:db8::7'],
  );
  assert.equal(asked, 3, 'asked until known, then never again');
});
