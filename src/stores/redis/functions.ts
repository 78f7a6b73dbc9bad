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
 * before running anything (no such function, no such command, no permission
 * for the command), so no request is decided twice, and it carries the same
 * arguments, deadline included, so a retry that comes too late commits
 * nothing. A server that refuses Functions to this client (Redis < 7, an ACL
 * user without `fcall` or `function|load`, a managed Redis that disabled
 * them) is sent scripts from then on.
 */
export class ScriptCaller implements ScriptRunner {
  private functions: boolean;
  private loading: Promise<boolean> | undefined;

  constructor(private readonly commands: ScriptCommands) {
    this.functions = commands.fcall !== undefined && commands.load !== undefined;
  }

  /** Whether calls go as FCALL (false once the server refused Functions, or the client cannot send them). */
  get usesFunctions(): boolean {
    return this.functions;
  }

  /** See {@link ScriptRunner.run}: `lone`, the lone function's arguments for the same call, when it has them. */
  run(script: Script, keys: string[], args: string[], lone?: string[]): Promise<unknown> {
    const fcall = this.commands.fcall;
    if (!this.functions || fcall === undefined) return this.evaluate(script, keys, args);
    return this.fcall(fcall, keys, args, lone).catch((error: unknown) => this.recover(error, script, keys, args, lone));
  }

  private fcall(
    fcall: NonNullable<ScriptCommands['fcall']>,
    keys: string[],
    args: string[],
    lone: string[] | undefined,
  ): Promise<unknown> {
    return lone === undefined ? fcall(LIBRARY.name, keys, args) : fcall(LIBRARY.lone, keys, lone);
  }

  private evaluate(script: Script, keys: string[], args: string[]): Promise<unknown> {
    return this.commands.evalsha(script.sha, keys, args).catch((error: unknown) => {
      if (!isNoScript(error)) throw error;
      return this.commands.eval(script.text, keys, args);
    });
  }

  private async recover(
    error: unknown,
    script: Script,
    keys: string[],
    args: string[],
    lone: string[] | undefined,
  ): Promise<unknown> {
    if (isFunctionsRefused(error)) {
      this.functions = false;
      return this.evaluate(script, keys, args);
    }
    if (!isFunctionMissing(error)) throw error;
    if (!(await this.load())) return this.evaluate(script, keys, args);
    const fcall = this.commands.fcall as NonNullable<ScriptCommands['fcall']>;
    try {
      return await this.fcall(fcall, keys, args, lone);
    } catch (again) {
      // Still missing (a node the load did not reach) or refused: this call goes as a script.
      if (isFunctionMissing(again) || isFunctionsRefused(again)) return this.evaluate(script, keys, args);
      throw again;
    }
  }

  /** Loads the library; false when it could not be loaded (then the caller goes as a script). */
  private load(): Promise<boolean> {
    if (this.loading !== undefined) return this.loading;
    const load = this.commands.load as NonNullable<ScriptCommands['load']>;
    const loading = load(LIBRARY.code).then(
      () => true,
      (error: unknown) => {
        if (isFunctionsRefused(error)) this.functions = false;
        return false;
      },
    );
    this.loading = loading;
    const done = (): void => {
      if (this.loading === loading) this.loading = undefined;
    };
    loading.then(done);
    return loading;
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
