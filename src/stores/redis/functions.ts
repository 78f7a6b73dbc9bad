import type { ScriptRunner } from './client.js';
import { LIBRARY, type Script } from './scripts.js';

/**
 * The commands RedisStore sends through one client: `EVALSHA` and `EVAL`
 * always; `FCALL` and `FUNCTION LOAD` when the client can send them.
 */
export interface ScriptCommands {
  evalsha(sha: string, keys: string[], args: string[]): Promise<unknown>;
  eval(text: string, keys: string[], args: string[]): Promise<unknown>;
  /** Calls function `name` (on the node that serves `keys` on a cluster). */
  readonly fcall: ((name: string, keys: string[], args: string[]) => Promise<unknown>) | undefined;
  /** Loads `code` on the server, or on every master of a cluster; resolves once each has it. */
  readonly load: ((code: string) => Promise<void>) | undefined;
  /** The script calls' bulk strings arrive as their bytes (Uint8Array), so a packed reply can be asked for. */
  readonly binary?: boolean;
}

function messageOf(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : '';
}

/** Only the server's "script not cached" answer justifies resending the script text. */
export function isNoScript(error: unknown): boolean {
  return messageOf(error).startsWith('NOSCRIPT');
}

/** The server has no such function (never loaded, FUNCTION FLUSH, a restart without persistence, a new node). */
export function isFunctionMissing(error: unknown): boolean {
  return messageOf(error).startsWith('ERR Function not found');
}

/**
 * The server refuses Functions to this client: an unknown command (Redis < 7,
 * or renamed away by a managed service) or an ACL user without `fcall` /
 * `function|load`. Redis checks both before anything runs, so the call may go
 * again as a script. An error raised inside a running function (e.g. an ACL
 * denying one of its commands) does not match: that call has run.
 */
export function isFunctionsRefused(error: unknown): boolean {
  const message = messageOf(error);
  return (
    /^ERR unknown command [`']?(fcall|function)[`']?[ ,]/i.test(message) ||
    /^NOPERM [^']*'(fcall|function\|load|function)' command/i.test(message)
  );
}

/** A `FUNCTION LOAD` answer that means the library is there (another process loaded the same code). */
export function isAlreadyLoaded(error: unknown): boolean {
  return /^ERR Library '[^']*' already exists/.test(messageOf(error));
}

/** How a call is sent: as the function, as the function after loading it, as EVALSHA, as EVAL. */
type Way = 'fcall' | 'again' | 'evalsha' | 'eval';

/** A call's script, keys and arguments. */
interface Call {
  readonly script: Script;
  readonly keys: string[];
  readonly args: string[];
  /** The lone function's arguments for the same call (see lua/lone.lua.ts): sent instead of `args` as a Function. */
  readonly lone: string[] | undefined;
}

/** A call waiting to be sent (made during a recovery), or to be sent again (`next`). */
interface Held {
  readonly call: Call;
  /** Its place in the order of sends (0: not sent yet). */
  readonly seq: number;
  /** How it goes again: 'load' first loads the library. */
  readonly next: Way | 'load' | undefined;
  readonly resolve: (answer: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Runs flowgate's script as the Redis Function {@link LIBRARY} where the
 * server allows it (its definitions then run once per server, not once per
 * call), else as a script: `EVALSHA`, and `EVAL` only after `NOSCRIPT`.
 *
 * The library is loaded lazily: a call that finds no function (never loaded,
 * FUNCTION FLUSH, a Redis restarted without persistence, a cluster node that
 * joined or was promoted) loads it (once, however many calls found it
 * missing at the same time) and goes again exactly once; a call that still
 * finds none goes as a script. Every retry follows an answer that Redis gives
 * before running anything (no such function, no such script, no such
 * command, no permission for the command), so no request is decided twice,
 * and it carries the same arguments, deadline included, so a retry that
 * comes too late commits nothing. A server that refuses Functions to this
 * client (Redis < 7, an ACL user without `fcall` or `function|load`, a
 * managed Redis that disabled them) is sent scripts from then on.
 *
 * A retry keeps program order with the calls of this process: calls made
 * meanwhile wait until every call sent before them is answered and the
 * retries are sent (in the order they were first sent). What it cannot order
 * is a call sent after it that found the script because another process
 * loaded it in between: that one has run first.
 */
export class ScriptCaller implements ScriptRunner {
  private functions: boolean;
  /** Sends so far: a send's number is its place in the order Redis receives them (per connection). */
  private sent = 0;
  /** Sends not answered yet. */
  private unanswered = 0;
  /** Calls to send again once every send is answered. */
  private retries: Held[] = [];
  /** Calls made while retries were pending: sent after them. */
  private waiting: Held[] = [];
  /** The library is being loaded for the retries. */
  private loading = false;

  readonly packedReplies: boolean;

  constructor(private readonly commands: ScriptCommands) {
    this.functions = commands.fcall !== undefined && commands.load !== undefined;
    this.packedReplies = commands.binary === true;
  }

  /** Whether calls go as FCALL (false once the server refused Functions, or the client cannot send them). */
  get usesFunctions(): boolean {
    return this.functions;
  }

  /** See {@link ScriptRunner.run}: `lone`, the lone function's arguments for the same call, when it has them. */
  run(script: Script, keys: string[], args: string[], lone?: string[]): Promise<unknown> {
    const call: Call = { script, keys, args, lone };
    if (this.retries.length === 0 && !this.loading) return this.send(call, this.first());
    return new Promise((resolve, reject) => {
      this.waiting.push({ call, seq: 0, next: undefined, resolve, reject });
    });
  }

  private first(): Way {
    return this.functions && this.commands.fcall !== undefined ? 'fcall' : 'evalsha';
  }

  private send(call: Call, way: Way): Promise<unknown> {
    const seq = ++this.sent;
    this.unanswered++;
    let reply: Promise<unknown>;
    try {
      reply = this.sendAs(call, way);
    } catch (error) {
      reply = Promise.reject(error);
    }
    return reply.then(
      (answer) => {
        this.answered();
        return answer;
      },
      (error: unknown) => {
        const next = this.nextWay(way, error);
        if (next === undefined) {
          this.answered();
          throw error;
        }
        return new Promise((resolve, reject) => {
          this.retries.push({ call, seq, next, resolve, reject });
          this.answered();
        });
      },
    );
  }

  private sendAs(call: Call, way: Way): Promise<unknown> {
    const { script, keys, args, lone } = call;
    if (way === 'evalsha') return this.commands.evalsha(script.sha, keys, args);
    if (way === 'eval') return this.commands.eval(script.text, keys, args);
    const fcall = this.commands.fcall as NonNullable<ScriptCommands['fcall']>;
    return lone === undefined ? fcall(LIBRARY.name, keys, args) : fcall(LIBRARY.lone, keys, lone);
  }

  /** How a call that failed with `error` goes again, or undefined when it may have run. */
  private nextWay(way: Way, error: unknown): Way | 'load' | undefined {
    if (way === 'evalsha') return isNoScript(error) ? 'eval' : undefined;
    if (way === 'eval') return undefined;
    if (isFunctionsRefused(error)) {
      if (way === 'fcall') this.functions = false;
      return 'evalsha';
    }
    if (!isFunctionMissing(error)) return undefined;
    // Still missing after loading (a node the load did not reach): as a script.
    return way === 'fcall' ? 'load' : 'evalsha';
  }

  private answered(): void {
    this.unanswered--;
    this.drain();
  }

  /** Once every send is answered: the retries go again in the order they were sent, then the calls made meanwhile. */
  private drain(): void {
    if (this.retries.length === 0 || this.unanswered > 0 || this.loading) return;
    // On a cluster, nodes answer in any order: the retries go in the order they were sent.
    const kept = this.retries.sort((a, b) => a.seq - b.seq);
    this.retries = [];
    if (!kept.some((held) => held.next === 'load')) {
      this.resend(kept, false);
      return;
    }
    this.loading = true;
    this.load().then((loaded) => {
      this.loading = false;
      this.resend(kept, loaded);
    });
  }

  private resend(kept: readonly Held[], loaded: boolean): void {
    for (const held of kept) {
      const way = held.next === 'load' ? (loaded ? 'again' : 'evalsha') : (held.next as Way);
      this.send(held.call, way).then(held.resolve, held.reject);
    }
    const waiting = this.waiting;
    this.waiting = [];
    for (const held of waiting) this.send(held.call, this.first()).then(held.resolve, held.reject);
  }

  /** Loads the library; false when it could not be loaded (then the callers go as scripts). */
  private load(): Promise<boolean> {
    const load = this.commands.load as NonNullable<ScriptCommands['load']>;
    return load(LIBRARY.code).then(
      () => true,
      (error: unknown) => {
        if (isFunctionsRefused(error)) this.functions = false;
        return false;
      },
    );
  }
}

/** `FUNCTION LOAD` through `send`, where "already exists" (the same code, by its hashed name) is success. */
export async function loadLibrary(send: () => Promise<unknown>): Promise<void> {
  try {
    await send();
  } catch (error) {
    if (!isAlreadyLoaded(error)) throw error;
  }
}
