/**
 * The set-up most Redis test files share: a throwaway redis-server for the
 * file, an ioredis connection for inspecting it (`admin`), and one client of
 * each kind flowgate supports. Call at the top level of a test file; the
 * fields are filled in by the `before` hook it registers.
 */
import { after, before } from 'node:test';
import { Redis } from 'ioredis';
import { CLIENT_KINDS, type ClientKind, connectClient, type TestClient } from './redis-clients.js';
import { type RedisServer, startRedis } from './redis-server.js';

export interface RedisFixture {
  server: RedisServer;
  admin: Redis;
  readonly clients: TestClient[];
  /** The connected client of `kind`. */
  client(kind: ClientKind): TestClient;
}

export function redisFixture(): RedisFixture {
  const clients: TestClient[] = [];
  const fixture = {
    clients,
    client(kind: ClientKind): TestClient {
      const found = clients.find((c) => c.kind === kind);
      if (!found) throw new Error(`no ${kind} client: is the fixture's before hook done?`);
      return found;
    },
  } as RedisFixture;
  before(async () => {
    fixture.server = await startRedis();
    fixture.admin = new Redis(fixture.server.url);
    for (const kind of CLIENT_KINDS) clients.push(await connectClient(kind, fixture.server.url));
  });
  after(async () => {
    for (const c of clients) await c.close();
    fixture.admin?.disconnect();
    await fixture.server?.stop();
  });
  return fixture;
}

/** A redis-server of the caller's own and an ioredis connection to inspect it. */
export interface OwnRedis {
  server: RedisServer;
  /** Replaceable: a test that restarts the server connects a new one. */
  admin: Redis;
}

/**
 * A redis-server for this file or suite alone (`startRedis({ own: true })`:
 * for tests that change ACLs, functions, or pause, sleep or restart it) and an
 * `admin` connection to it, both filled in by the `before` hook this
 * registers, and closed by its `after` hook. Call where those hooks belong:
 * at the top level of a test file, or inside a `describe`.
 */
export function ownRedis(): OwnRedis {
  const own = {} as OwnRedis;
  before(async () => {
    own.server = await startRedis({ own: true });
    own.admin = new Redis(own.server.url);
  });
  after(async () => {
    own.admin?.disconnect();
    await own.server?.stop();
  });
  return own;
}
