/**
 * A TCP proxy between a Redis client and a real redis-server that can lose
 * what a network loses: the server's replies (after Redis ran the commands),
 * or the client's commands (before Redis saw them), and then the connection.
 * The one fault a test cannot otherwise cause: a call Redis applied whose
 * reply never reached the client, which reconnects and may send it again.
 */
import { once } from 'node:events';
import { createServer, type Server, Socket } from 'node:net';

export interface ReplyDroppingProxy {
  /** `redis://127.0.0.1:<port>` of the proxy. */
  readonly url: string;
  readonly port: number;
  /** From now on, what the server sends on the open connections is kept from the client. */
  swallowReplies(): void;
  /** From now on, what the client sends on the open connections is kept from the server. */
  holdCommands(): void;
  /** Bytes of commands held since holdCommands(). */
  readonly heldBytes: number;
  /** Closes both sides of every open connection; connections made later forward both ways. */
  cut(): void;
  close(): Promise<void>;
}

/** Starts a proxy to `targetPort` on 127.0.0.1. */
export async function startReplyDroppingProxy(targetPort: number): Promise<ReplyDroppingProxy> {
  const pairs = new Set<{ client: Socket; server: Socket; swallow: boolean; hold: boolean }>();
  let heldBytes = 0;
  const proxy: Server = createServer((client) => {
    const server = new Socket();
    const pair = { client, server, swallow: false, hold: false };
    pairs.add(pair);
    client.pause();
    server.connect(targetPort, '127.0.0.1', () => client.resume());
    client.on('data', (chunk: Buffer) => {
      if (pair.hold) heldBytes += chunk.length;
      else server.write(chunk);
    });
    server.on('data', (chunk: Buffer) => {
      if (!pair.swallow) client.write(chunk);
    });
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      server.destroy();
    };
    client.on('close', end);
    server.on('close', end);
    client.on('error', end);
    server.on('error', end);
  });
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  const port = (proxy.address() as { port: number }).port;
  const cut = (): void => {
    for (const pair of [...pairs]) {
      pairs.delete(pair);
      pair.client.destroy();
      pair.server.destroy();
    }
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    swallowReplies() {
      for (const pair of pairs) pair.swallow = true;
    },
    holdCommands() {
      heldBytes = 0;
      for (const pair of pairs) pair.hold = true;
    },
    get heldBytes() {
      return heldBytes;
    },
    cut,
    async close() {
      cut();
      proxy.close();
      await once(proxy, 'close');
    },
  };
}
