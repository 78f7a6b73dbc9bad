import { Cluster, Redis } from 'ioredis';
import { MemoryStore } from '../stores/memory.js';
import { RedisStore } from '../stores/redis/redis-store.js';
import type { Store } from '../stores/store.js';

/** The service's store and how to close it. */
export interface ServiceStore {
  readonly store: Store;
  readonly description: string;
  close(): Promise<void>;
}

/**
 * Memory by default; `--redis <url>` or `--redis-cluster <host:port,…>` use
 * RedisStore, so that a fleet of services shares every count exactly. The
 * client retries forever in the background: while Redis is down, decisions
 * follow `--on-store-error` and the service keeps answering.
 */
export function openStore(redis: string | undefined, cluster: string | undefined): ServiceStore {
  if (cluster !== undefined) {
    const nodes = cluster.split(',').map((node) => {
      const at = node.lastIndexOf(':');
      return { host: node.slice(0, at), port: Number(node.slice(at + 1)) };
    });
    const client = new Cluster(nodes, { enableOfflineQueue: true });
    client.on('error', () => {});
    return { store: new RedisStore({ client }), description: `Redis Cluster ${cluster}`, close: () => quit(client) };
  }
  if (redis !== undefined) {
    const client = new Redis(redis, { maxRetriesPerRequest: 1 });
    // Connection errors are reported by the limiters (once per outage); ioredis would print each retry.
    client.on('error', () => {});
    return { store: new RedisStore({ client }), description: `Redis ${redactUrl(redis)}`, close: () => quit(client) };
  }
  return { store: new MemoryStore(), description: 'memory', close: async () => {} };
}

async function quit(client: Redis | Cluster): Promise<void> {
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}

/** The URL without its password, for the log. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}
