import { loadLibrary, ScriptCaller, type ScriptCommands } from './functions.js';
import { guardedSender } from './resend-guard.js';
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
  /**
   * Runs `script` on `keys`: as flowgate's Redis Function where the server allows, else EVALSHA (EVAL after
   * NOSCRIPT). `lone`: the same call as the arguments of the library's lone function (one request, one limit:
   * see lua/lone.lua.ts), which it takes instead when it calls Functions.
   */
  run(script: Script, keys: string[], args: string[], lone?: string[]): Promise<unknown>;
  /**
   * The client hands over a bulk string's bytes (a Uint8Array), so a call may ask for the
   * reply packed as one MessagePack string (see lua/prelude.lua.ts). Other clients decode
   * bulk strings as UTF-8, which would mangle it.
   */
  readonly packedReplies: boolean;
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

/** Wraps `client` (already checked with {@link clientKind}) into a {@link ScriptRunner}. */
export function scriptRunner(client: RedisClientLike): ScriptRunner {
  return new ScriptCaller(scriptCommands(client));
}

type Send = (...args: string[]) => Promise<unknown>;

/** The client's generic command method (ioredis `call`), bound, or undefined. */
function sender(target: unknown): Send | undefined {
  const call = (target as { call?: unknown } | null)?.call;
  return typeof call === 'function' ? (call.bind(target) as Send) : undefined;
}

function scriptCommands(client: RedisClientLike): ScriptCommands {
  const kind = clientKind(client);
  const cluster = isClusterClient(client);
  if (kind === 'ioredis') {
    const io = client as IoRedisLike;
    const call = sender(io);
    const nodes = (io as { nodes?: unknown }).nodes;
    let load: ScriptCommands['load'];
    if (call !== undefined && !cluster) load = (code) => loadLibrary(() => call('FUNCTION', 'LOAD', code));
    else if (call !== undefined && typeof nodes === 'function') {
      // Every master: the one that answered "not found" is among them (after a failover, once the client saw it).
      load = async (code) => {
        const masters = (nodes as (role: string) => unknown[]).call(io, 'master');
        await Promise.all(masters.map((node) => loadLibrary(() => (sender(node) as Send)('FUNCTION', 'LOAD', code))));
      };
    }
    // Script calls go as guarded commands: a call whose connection drops before Redis answers is never run twice.
    const send = guardedSender(io);
    if (send !== undefined) {
      return {
        evalsha: (sha, keys, args) => send('evalsha', [sha, String(keys.length), ...keys, ...args]),
        eval: (text, keys, args) => send('eval', [text, String(keys.length), ...keys, ...args]),
        fcall: (name, keys, args) => send('fcall', [name, String(keys.length), ...keys, ...args]),
        load,
        binary: true,
      };
    }
    return {
      evalsha: (sha, keys, args) => io.evalsha(sha, keys.length, ...keys, ...args),
      eval: (text, keys, args) => io.eval(text, keys.length, ...keys, ...args),
      // Lower case: ioredis lower-cases a command's name at each of its flag checks (about five per command),
      // and 'FCALL' became a new string each time, looked up in V8's string table (about 1k instructions a call).
      fcall: call && ((name, keys, args) => call('fcall', name, String(keys.length), ...keys, ...args)),
      load,
    };
  }
  if (kind === 'node-redis') {
    const node = client as NodeRedisLike & NodeRedisFunctions;
    let load: ScriptCommands['load'];
    if (!cluster && typeof node.functionLoad === 'function') {
      const functionLoad = node.functionLoad.bind(node);
      load = (code) => loadLibrary(() => functionLoad(code));
    } else if (cluster && typeof node.nodeClient === 'function' && node.masters !== undefined) {
      const nodeClient = node.nodeClient.bind(node);
      // Every master: the one that answered "not found" is among them (after a failover, once the client saw it).
      load = async (code) => {
        const masters = [...(node.masters as Iterable<unknown>)];
        await Promise.all(
          masters.map(async (master) => {
            const one = (await nodeClient(master)) as NodeRedisFunctions;
            await loadLibrary(() => (one.functionLoad as NonNullable<NodeRedisFunctions['functionLoad']>)(code));
          }),
        );
      };
    }
    const fCall = typeof node.fCall === 'function' ? node.fCall.bind(node) : undefined;
    return {
      evalsha: (sha, keys, args) => node.evalSha(sha, { keys, arguments: args }),
      eval: (text, keys, args) => node.eval(text, { keys, arguments: args }),
      fcall: fCall && ((name, keys, args) => fCall(name, { keys, arguments: args })),
      load,
    };
  }
  const raw = client as SendCommandLike;
  return {
    evalsha: (sha, keys, args) => raw.sendCommand(['EVALSHA', sha, String(keys.length), ...keys, ...args]),
    eval: (text, keys, args) => raw.sendCommand(['EVAL', text, String(keys.length), ...keys, ...args]),
    fcall: (name, keys, args) => raw.sendCommand(['FCALL', name, String(keys.length), ...keys, ...args]),
    load: (code) => loadLibrary(() => raw.sendCommand(['FUNCTION', 'LOAD', code])),
  };
}

/** The node-redis (v4.6+) methods for Functions, when the client has them. */
interface NodeRedisFunctions {
  fCall?(name: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  functionLoad?(code: string): Promise<unknown>;
  /** A cluster's masters, and the client of one. */
  readonly masters?: Iterable<unknown>;
  nodeClient?(node: unknown): Promise<unknown>;
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
