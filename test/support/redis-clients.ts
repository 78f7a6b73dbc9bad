/**
 * Redis clients for tests, one of each kind flowgate supports, configured so
 * a dead or paused server fails fast: ioredis with no offline queue, and
 * node-redis with its offline queue disabled; both reconnect every 50 ms.
 */
import { Cluster, Redis } from 'ioredis';
import { createClient, createCluster } from 'redis';
import type { RedisClientLike } from '../../src/stores/redis/index.js';

export type ClientKind = 'ioredis' | 'node-redis';
export const CLIENT_KINDS: readonly ClientKind[] = ['ioredis', 'node-redis'];

export interface TestClient {
  readonly kind: ClientKind;
  readonly client: RedisClientLike;
  close(): Promise<void>;
}

/** A client connected to a single Redis at `url`. */
export async function connectClient(kind: ClientKind, url: string): Promise<TestClient> {
  if (kind === 'ioredis') {
    const client = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => 50,
      lazyConnect: true,
    });
    await client.connect();
    return { kind, client, close: async () => client.disconnect() };
  }
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: { reconnectStrategy: () => 50, connectTimeout: 1000 },
  });
  await client.connect();
  return {
    kind,
    client,
    close: async () => {
      if (client.isOpen) client.destroy();
    },
  };
}

/** A cluster client whose seed nodes are `ports` on 127.0.0.1. */
export async function connectCluster(kind: ClientKind, ports: readonly number[]): Promise<TestClient> {
  if (kind === 'ioredis') {
    const client = new Cluster(
      ports.map((port) => ({ host: '127.0.0.1', port })),
      { lazyConnect: true },
    );
    await client.connect();
    return { kind, client, close: async () => client.disconnect() };
  }
  const client = createCluster({ rootNodes: ports.map((port) => ({ url: `redis://127.0.0.1:${port}` })) });
  await client.connect();
  return { kind, client, close: async () => client.destroy() };
}
