// Child process of bench/http.ts: builds ONE configuration's app, in its own process
// so that no framework or limiter warms the JIT for another. With the socket transport
// it serves on 127.0.0.1 and prints `port <n>`; with the inject transport it prints
// `ready` and, asked `{ injectMs, concurrency }` over IPC, answers requests made
// in-process (light-my-request, or Fastify's inject), `concurrency` at a time, for
// `injectMs`, and reports how many and the CPU time they took.
// Usage: node --import tsx bench/lib/http-server.ts <config> [redisPort] [socket|inject]

import { getPriority, loadavg } from 'node:os';
import type { Redis } from 'ioredis';
import { fixedWindow, RateLimiter } from '../../src/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import type { BenchApp } from './http-app.js';
import { CONFIGS } from './http-configs.js';

// Limits so high that every request is admitted: the cost of the middleware, not of a 429.
const LIMIT = 1_000_000_000;
const WINDOW_MS = 60_000;

async function redis(port: string | undefined): Promise<Redis> {
  if (!port) throw new Error('this configuration needs a redis port');
  const { Redis } = await import('ioredis');
  return new Redis({ port: Number(port), host: '127.0.0.1', lazyConnect: false });
}

function flowgateLimiter(client?: Redis): RateLimiter {
  const policy = fixedWindow({ limit: LIMIT, window: WINDOW_MS });
  return new RateLimiter(client === undefined ? { policy } : { policy, store: new RedisStore({ client }) });
}

const [config = '', redisPort, transport = 'socket'] = process.argv.slice(2);
if (!(CONFIGS as readonly string[]).includes(config)) throw new Error(`unknown config ${config}; known: ${CONFIGS}`);
// Only the configuration's framework is loaded (a module per framework, imported here and
// bundled as its own chunk): start-up is most of what bench/http-instructions.ts runs under valgrind.
const limiter = () => flowgateLimiter();
const framework = config.split(/[+-]/)[0];
let app: BenchApp;
if (framework === 'fastify') {
  const client = config.endsWith('-redis') ? await redis(redisPort) : undefined;
  const { fastifyServer } = await import('./http-server-fastify.js');
  app = await fastifyServer(
    config,
    LIMIT,
    WINDOW_MS,
    limiter,
    () => flowgateLimiter(client),
    () => client as Redis,
  );
} else if (framework === 'koa') {
  app = (await import('./http-server-koa.js')).koaServer(config, LIMIT, WINDOW_MS, limiter);
} else if (framework === 'nestjs') {
  app = await (await import('./http-server-nest.js')).nestServer(config, LIMIT, WINDOW_MS, limiter);
} else {
  app = (await import('./http-server-express.js')).expressServer(config, LIMIT, WINDOW_MS, limiter);
}

/** Answers injected requests, `concurrency` in flight, until `ms` have passed; throws on any status but 200. */
async function injectFor(ms: number, concurrency: number): Promise<number> {
  const deadline = performance.now() + ms;
  let answered = 0;
  const lane = async () => {
    while (performance.now() < deadline) {
      const { statusCode } = await app.inject();
      if (statusCode !== 200) throw new Error(`${config}: status ${statusCode}; raise the limits`);
      answered++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return answered;
}

const cpuNow = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};
// The parent asks for CPU time around each load run (socket), or for a turn of injected
// requests with its count and CPU time (inject).
// bench/http-instructions.ts runs this child under valgrind and asks it to exit: its counts are
// printed when the process ends.
process.on('message', (m: 'exit' | 'start' | 'stop' | { injectMs?: number; concurrency?: number }) => {
  if (m === 'exit') process.exit(0);
  if (m === 'start' || m === 'stop') {
    // Calls into libuv that nothing else here makes (uv_os_getpriority, uv_loadavg): under
    // callgrind, bench/http-instructions.ts zeroes the counts on the first and dumps them on the second.
    if (m === 'start') getPriority();
    else loadavg();
    process.send?.('marked');
    return;
  }
  if (m.injectMs === undefined) {
    process.send?.({ cpuUs: cpuNow() });
    return;
  }
  const before = cpuNow();
  const t0 = performance.now();
  injectFor(m.injectMs, m.concurrency ?? 1).then(
    (count) => process.send?.({ count, cpuUs: cpuNow() - before, ms: performance.now() - t0 }),
    (error: Error) => process.send?.({ error: error.message }),
  );
});
process.stdout.write(transport === 'inject' ? 'ready\n' : `port ${await app.listen()}\n`);
