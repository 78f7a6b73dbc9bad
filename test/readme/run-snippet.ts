/**
 * Runs one compiled README snippet as `node snippet.js` would, with two
 * differences: every server it starts listens on a free port (snippets say
 * 3000, and tests run side by side), and once the snippet's top level has
 * finished, each such server is asked for `GET /`, what it answered is written
 * to `answers.json`, and the process exits (servers and Redis clients would
 * keep it alive).
 *
 *   node run-snippet.js snippet.js answers.json
 *
 * It is compiled with the snippets and runs without tsx, like them.
 */
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { type AddressInfo, Server } from 'node:net';
import { pathToFileURL } from 'node:url';

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
}

const servers: Server[] = [];
const listen = Server.prototype.listen;
Server.prototype.listen = function listenOnFreePort(this: Server, ...args: unknown[]) {
  servers.push(this);
  const [first] = args;
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) args[0] = 0;
  else if (typeof first === 'object' && first !== null && 'port' in first) args[0] = { ...first, port: 0 };
  return (listen as (...a: unknown[]) => Server).apply(this, args);
} as typeof listen;

function ask(address: AddressInfo): Promise<Answer> {
  return new Promise((resolve, reject) => {
    get({ host: address.address, port: address.port, path: '/', agent: false }, (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers }));
    }).on('error', reject);
  });
}

const [file, output] = process.argv.slice(2);
if (!file || !output) throw new Error('usage: node run-snippet.js <snippet.js> <answers.json>');
await import(pathToFileURL(file).href);
const answers: Answer[] = [];
for (const server of servers) {
  if (!server.listening) await once(server, 'listening');
  answers.push(await ask(server.address() as AddressInfo));
}
writeFileSync(output, JSON.stringify(answers));
process.exit(0);
