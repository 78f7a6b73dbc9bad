import { StoreConnectionLostError } from '../../failure.js';

/**
 * When a connection drops, ioredis keeps the commands it wrote and Redis did
 * not answer, and writes them again once it has reconnected
 * (`autoResendUnfulfilledCommands`, on by default); an ioredis Cluster sends
 * a command whose node connection closed again, to another node. But Redis
 * may well have run the command, only its reply was lost: a script call sent
 * again decides its requests a second time. Turning the option off is no
 * cure: ioredis then drops those commands without ever settling them.
 *
 * So flowgate sends its script calls as its own ioredis `Command`, which
 * knows the connection it was written to. When that connection closes
 * before Redis answered, the call is settled at once with
 * {@link StoreConnectionLostError} (the limiter's failure policy decides its
 * requests, as for any store error), and whatever ioredis writes for it
 * afterwards is a `PING`, which decides nothing. A call still waiting in the
 * offline queue was never written: it goes when the client reconnects and is
 * decided as usual. A Cluster's redirections (MOVED, ASK, TRYAGAIN) write the
 * same command to another node while the first connection is open: that
 * write is the call itself, as the node that redirected ran nothing.
 */

/** The parts of an ioredis `Command` used here (ioredis >= 5). */
interface IoCommand {
  readonly promise: Promise<unknown>;
  args: unknown[];
  reject: (error: Error) => void;
  toWritable(socket: object): string | Buffer;
  transformReply(reply: unknown): unknown;
}

type IoCommandClass = new (
  name: string,
  args: string[],
  options: { keyPrefix?: unknown; replyEncoding?: string },
) => IoCommand;

/** The socket ioredis writes a command to: a net.Socket or tls.TLSSocket. */
interface Connection {
  readonly destroyed?: boolean;
  once(event: 'close', listener: () => void): unknown;
}

/** An ioredis `Redis` or `Cluster`: `call` builds a Command, `sendCommand` writes (or queues, or routes) it. */
interface IoRedisCommands {
  readonly options?: { keyPrefix?: unknown; enableAutoPipelining?: boolean };
  call(...args: string[]): unknown;
  sendCommand(command: IoCommand): unknown;
}

/** A command, as written in RESP, that answers and changes nothing. */
const PING = '*1\r\n$4\r\nPING\r\n';

/** A guarded command of the unanswered ones written to each open connection. */
interface Guarded extends IoCommand {
  /** The connection this command was last written to. */
  connection: Connection | undefined;
  /** Settled as lost: anything written for it from now on is a PING. */
  lost: boolean;
}

const unanswered = new WeakMap<Connection, Set<Guarded>>();

function track(command: Guarded, connection: Connection): void {
  let written = unanswered.get(connection);
  if (written === undefined) {
    written = new Set();
    unanswered.set(connection, written);
    connection.once('close', () => closed(connection));
  }
  written.add(command);
}

function untrack(command: Guarded): void {
  if (command.connection !== undefined) unanswered.get(command.connection)?.delete(command);
}

/** The connection closed: every command written to it and not answered may have run, and is lost. */
function closed(connection: Connection): void {
  const written = unanswered.get(connection);
  if (written === undefined) return;
  unanswered.delete(connection);
  for (const command of written) lose(command);
}

function lose(command: Guarded): void {
  command.lost = true;
  // Through the command's own reject, so that a Cluster (which wraps it) gives up on the command too.
  command.reject(new StoreConnectionLostError());
}

const guardedClasses = new WeakMap<IoCommandClass, IoCommandClass>();

/** `Base` (ioredis's Command) with the guard: see the comment at the top of this file. */
function guardedClass(Base: IoCommandClass): IoCommandClass {
  const known = guardedClasses.get(Base);
  if (known !== undefined) return known;
  class GuardedCommand extends Base implements Guarded {
    connection: Connection | undefined = undefined;
    lost = false;

    constructor(name: string, args: string[], options: { keyPrefix?: unknown; replyEncoding?: string }) {
      // Command copies its arguments with args.flat(), element by element through V8's generic path (about
      // 1.3k instructions an argument, a batch's keys included). These are flat strings already: they are
      // handed over as they are, unless a keyPrefix is to be applied to the keys among them.
      // (Truthy, as Command tests it.)
      const prefixed = Boolean(options.keyPrefix);
      super(name, prefixed ? args : [], options);
      if (!prefixed) this.args = args;
      const reject = this.reject;
      // A Cluster replaces `reject` after this; it calls this one when it gives up on the command.
      this.reject = (error: Error): void => {
        untrack(this);
        reject(error);
      };
    }

    override toWritable(socket: object): string | Buffer {
      const connection = socket as Connection;
      // Written again after the connection it went on closed (e.g. rejected by a commandTimeout, then resent).
      if (!this.lost && this.connection !== undefined && this.connection !== connection && this.connection.destroyed) {
        lose(this);
      }
      if (this.lost) return PING;
      if (this.connection !== connection) {
        untrack(this);
        this.connection = connection;
        if (typeof connection.once === 'function') track(this, connection);
      }
      return super.toWritable(socket);
    }

    override transformReply(reply: unknown): unknown {
      untrack(this);
      return super.transformReply(reply);
    }
  }
  guardedClasses.set(Base, GuardedCommand);
  return GuardedCommand;
}

/** ioredis's Command class, found by letting `client.call` build one (a Cluster has no `Cluster.Command`). */
function commandClassOf(client: IoRedisCommands): IoCommandClass | undefined {
  let found: unknown;
  const probe = Object.create(client) as IoRedisCommands & { options: unknown };
  // No auto-pipelining: the command must reach sendCommand, which here only keeps its class.
  probe.options = { ...client.options, enableAutoPipelining: false };
  probe.sendCommand = (command: IoCommand): unknown => {
    found = command.constructor;
    return command.promise;
  };
  try {
    probe.call('PING');
  } catch {
    return undefined;
  }
  return typeof found === 'function' ? (found as IoCommandClass) : undefined;
}

/**
 * Sends `name` with `args` through `client` as a guarded command, resolving
 * with its reply as ioredis's `…Buffer` methods do (bulk strings as Buffers,
 * so that a packed reply arrives as its bytes: see lua/prelude.lua.ts), or
 * undefined when `client` is not ioredis enough to send one (then send it
 * the usual way).
 */
export function guardedSender(client: unknown): ((name: string, args: string[]) => Promise<unknown>) | undefined {
  const io = client as Partial<IoRedisCommands>;
  if (typeof io.call !== 'function' || typeof io.sendCommand !== 'function') return undefined;
  const Base = commandClassOf(io as IoRedisCommands);
  if (Base === undefined) return undefined;
  const Guarded = guardedClass(Base);
  return (name, args) => {
    // Read per command, as ioredis does: options can change after the store was made.
    const command = new Guarded(name, args, { keyPrefix: io.options?.keyPrefix });
    (io as IoRedisCommands).sendCommand(command);
    return command.promise;
  };
}
