/**
 * An HTTP/1.1 request written byte for byte on a socket, so an attack test
 * controls exactly what goes on the wire: repeated field lines, obs-text
 * (bytes 0x80-0xFF), lengths that a client library would refuse or reorder.
 */
import { connect } from 'node:net';

/** One field line; repeat a name to send it on several lines. */
export type FieldLine = readonly [name: string, value: string];

export interface RawReply {
  status: number;
  /** The response head (status line and fields), as latin1 text. */
  head: string;
}

export interface Target {
  host: string;
  port: number;
  /** The client's own address, e.g. `'127.0.0.2'`, so it differs from the proxy's. */
  localAddress?: string;
}

/** Sends `GET /` with `fields` (latin1: one byte per character) and resolves with the status once the server closes. */
export function rawRequest(target: Target, fields: readonly FieldLine[]): Promise<RawReply> {
  const lines = ['GET / HTTP/1.1', 'Host: flowgate.test', 'Connection: close'];
  for (const [name, value] of fields) lines.push(`${name}: ${value}`);
  const request = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.host, port: target.port, localAddress: target.localAddress });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const head = text.slice(0, Math.max(0, text.indexOf('\r\n\r\n')));
      resolve({ status: Number(head.slice(9, 12)), head });
    });
    socket.write(request);
  });
}
