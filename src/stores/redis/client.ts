import type { Script } from './scripts.js';

/**
 * The ioredis methods flowgate calls, on `new Redis()` or `new Cluster()`:
 * `EVALSHA`/`EVAL` with the number of keys, then keys and arguments.
 */
export interface IoRedisLike {
  evalsha(sha: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
}

/** The node-redis (v4+) methods flowgate calls, on `createClient()` or `createCluster()` (after `connect()`). */
export interface NodeRedisLike {
  evalSha(sha: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

/** Any other client: one function that sends a raw command, as rate-limit-redis takes. Not for clusters. */
export interface SendCommandLike {
  sendCommand(args: string[]): Promise<unknown>;
}

/** A Redis client or cluster client RedisStore accepts. */
export type RedisClientLike = IoRedisLike | NodeRedisLike | SendCommandLike;

/** The one operation RedisStore needs, whatever the client. */
export interface ScriptRunner {
  /** Runs `script` on `keys`: EVALSHA, and EVAL only when the server answers NOSCRIPT. */
  run(script: Script, keys: string[], args: string[]): Promise<unknown>;
}

/** The kind of client, or undefined when `client` is none of them. */
export function clientKind(client: unknown): 'ioredis' | 'node-redis' | 'send-command' | undefined {
  if (typeof client !== 'object' || client === null) return undefined;
  const c = client as Record<string, unknown>;
  if (typeof c.evalsha === 'function' && typeof c.eval === 'function') return 'ioredis';
  if (typeof c.evalSha === 'function' && typeof c.eval === 'function') return 'node-redis';
  if (typeof c.sendCommand === 'function') return 'send-command';
  return undefined;
}

/**
 * Whether `client` is a cluster client (ioredis `Cluster`, node-redis
 * `createCluster()`), whose multi-key commands must stay within one slot.
 */
export function isClusterClient(client: unknown): boolean {
  const c = client as { isCluster?: unknown; getSlotMaster?: unknown };
  return c.isCluster === true || typeof c.getSlotMaster === 'function';
}

/** Only the server's "script not cached" answer justifies resending the script text. */
export function isNoScript(error: unknown): boolean {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' && message.startsWith('NOSCRIPT');
}

/** Wraps `client` (already checked with {@link clientKind}) into a {@link ScriptRunner}. */
export function scriptRunner(client: RedisClientLike): ScriptRunner {
  const kind = clientKind(client);
  if (kind === 'ioredis') {
    const io = client as IoRedisLike;
    return {
      run: (script, keys, args) =>
        io.evalsha(script.sha, keys.length, ...keys, ...args).catch((error: unknown) => {
          if (!isNoScript(error)) throw error;
          return io.eval(script.text, keys.length, ...keys, ...args);
        }),
    };
  }
  if (kind === 'node-redis') {
    const node = client as NodeRedisLike;
    return {
      run: (script, keys, args) => {
        const options = { keys, arguments: args };
        return node.evalSha(script.sha, options).catch((error: unknown) => {
          if (!isNoScript(error)) throw error;
          return node.eval(script.text, options);
        });
      },
    };
  }
  const raw = client as SendCommandLike;
  return {
    run: (script, keys, args) =>
      raw.sendCommand(['EVALSHA', script.sha, String(keys.length), ...keys, ...args]).catch((error: unknown) => {
        if (!isNoScript(error)) throw error;
        return raw.sendCommand(['EVAL', script.text, String(keys.length), ...keys, ...args]);
      }),
  };
}

/**
 * node-redis clients are EventEmitters that throw (and crash the process) when
 * they emit 'error' with no listener, which they do on every lost connection;
 * ioredis prints a warning instead. A rate limiter must survive a Redis
 * restart, so when the application has attached no 'error' listener, one is
 * attached that ignores the event: the failure still surfaces, as a store
 * error, through the limiter's `onStoreError`.
 */
export function guardErrorEvents(client: unknown): void {
  const emitter = client as { on?: unknown; listenerCount?: unknown };
  if (typeof emitter.on !== 'function' || typeof emitter.listenerCount !== 'function') return;
  const on = emitter.on as (event: string, listener: (error: unknown) => void) => unknown;
  const listenerCount = emitter.listenerCount as (event: string) => number;
  if (listenerCount.call(client, 'error') === 0) on.call(client, 'error', ignore);
}

function ignore(): void {}
