import { StoreOverloadedError, StoreRequestError, StoreTimeoutError } from '../../failure.js';
import type { Decision } from '../../policies/decision.js';
import { combineDecisions, type LimitSpec } from '../../policies/limit-set.js';
import type { ScriptRunner } from './client.js';
import { keySlot } from './key-slot.js';
import { algorithmTag } from './keys.js';
import { unpackReply } from './packed-reply.js';
import { COMPACT, COMPACT_DELAYED, FIELDS, LONE_ADMITTED, readAdmitted, readLimit } from './reply-fields.js';
import { type Script, scriptFor } from './scripts.js';
import type { ServerClock } from './server-clock.js';

/** Most requests in one script call: bounds how long one call holds the (single-threaded) server. */
export const MAX_BATCH = 256;

/**
 * Script calls in flight below which a new request leaves at the end of the
 * current job. Two keep client and server busy at once: while Redis runs one
 * call, the client decodes the reply before it and sends the next; with one,
 * callers answered together re-enter together and the two take turns.
 */
export const PIPELINE_DEPTH = 2;

/**
 * A batch made while nothing is in flight goes as two calls once each half
 * holds at least this many requests, which starts the pipeline: Redis runs
 * the second half while the client handles the first one's reply. Smaller
 * bursts stay one call (a second call would cost more than the overlap gains).
 */
export const MIN_SPLIT = 8;

/** Whether two requests name the same Redis keys (KeyNamer hands a hot key's callers one string). */
function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Indexes in the script's ARGV (0-based here): see lua/prelude.lua.ts. */
const CLOCK_ARG = 0;
const ENCODING_ARG = 1;
const DEADLINE_ARG = 3;
const LIMITS_ARG = 4;

/**
 * What a request settles with: nothing for a reset or a refund; for the
 * others, the decision (combined over the limits), or with `combine: false`
 * each limit's own decision.
 */
export type Answer = Decision | readonly Decision[] | undefined;

/** One request waiting for its script call. */
interface Request {
  /** One Redis key per limit. */
  readonly keys: readonly string[];
  /**
   * A cost (limit), 'c' (limit, a cost per limit in `extra`), 'p' (peek), 'd' (reset), 'r' (refund),
   * 'R' (refund and report), 'z' (report), 'e' / 'E' (evaluate one cost / a cost per limit).
   */
  readonly op: string;
  /** nowMs with an explicit clock, read when the request was made. */
  readonly nowMs: string | undefined;
  /** A refund's arguments after the op: its cost, then atMs and resetMs per limit. */
  readonly extra: readonly string[] | undefined;
  /** When the caller gives up, on performance.now()'s clock. */
  readonly deadline: number;
  readonly resolve: (decided: Answer) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * What the batchers of one store share: the calls waiting for an answer
 * (bounded, so that a Redis that stopped answering cannot grow the heap)
 * and what is known of the server's clock.
 */
export class Link {
  /** Requests queued or sent and not yet answered by Redis (a caller that gave up does not count them out). */
  outstanding = 0;
  /** Script calls sent and not yet answered. */
  callsInFlight = 0;
  /**
   * Calls ask for the reply packed (see lua/prelude.lua.ts): where the client takes binary replies, until
   * a packed reply does not read (a server's cmsgpack writing what unpackReply does not know).
   */
  packedReplies: boolean;

  constructor(
    readonly runner: ScriptRunner,
    readonly serverClock: ServerClock,
    readonly maxInFlight: number,
    /** A cluster client: one script call per slot. */
    readonly cluster: boolean,
  ) {
    this.packedReplies = runner.packedReplies;
  }
}

/**
 * Sends the requests made during one turn of the event loop as one script
 * call (`EVALSHA` with the keys of every request), instead of one call each:
 * the per-command cost of the client, the socket and the server's script
 * machinery then comes once per batch, and a key with several requests is
 * read and written once. The script decides them in the order they were
 * made, each exactly as it would alone; only their replies arrive together.
 * On a cluster a batch holds the requests of one slot.
 *
 * A request made while fewer than {@link PIPELINE_DEPTH} calls of the store
 * are in flight goes out at the end of the current job (a microtask), so a
 * lone call waits for nothing and the callers of a reply leave before the
 * next reply is read; with that many in flight, requests gather until the
 * loop has handled its I/O (setImmediate), so an HTTP server's requests of
 * one turn share a call. A batch of at least 2 × {@link MIN_SPLIT} made in
 * one job while nothing is in flight goes as two calls, so that a hot key's
 * callers, answered together and re-entering together, do not stay in
 * lockstep with one call in flight: the client then handles one reply while
 * Redis runs the other call, and sends the next before reading the other reply.
 *
 * Several calls in flight stay exact: they go in order on one connection
 * (one per slot on a cluster, a batch never spanning two nodes), and Redis
 * runs the commands of one connection in order, so every request is decided
 * after each made before it, as in one call.
 *
 * Each call carries the earliest deadline of its requests, on the server's
 * clock: a call that reaches Redis after its callers gave up (a paused or
 * restarted server, a client's offline queue replayed) commits nothing.
 */
export class Batcher {
  private pending: Request[] = [];
  private scheduled = false;
  /** The script with only the policies of these limits (see scriptFor). */
  private readonly script: Script;
  /** One limit on the server's TIME: the lone function's first argument (see lua/lone.lua.ts), else undefined. */
  private readonly lone: string | undefined;
  /** ARGV before the requests' own (see lua/prelude.lua.ts), the deadline left blank. */
  private readonly header: readonly string[];
  /** The same, asking for a packed reply. */
  private readonly packedHeader: readonly string[];

  constructor(
    private readonly link: Link,
    /** ARGV before the requests' own (see lua/prelude.lua.ts), the deadline left blank. */
    header: readonly string[],
    private readonly specs: readonly LimitSpec[],
    /** Combine the limits' decisions into the set's (false: settle with each limit's own). */
    private readonly combine = true,
  ) {
    this.script = scriptFor(specs.map((spec) => algorithmTag(spec.policy)));
    if (specs.length === 1 && header[CLOCK_ARG] === '') this.lone = `${header[ENCODING_ARG]}${header[LIMITS_ARG]}`;
    this.header = header;
    const packed = header.slice();
    // 'E' / 'V': the encoding 'e' / 'v', the reply packed (see lua/prelude.lua.ts).
    packed[ENCODING_ARG] = (header[ENCODING_ARG] as string).toUpperCase();
    this.packedHeader = packed;
  }

  /** Queues a request; settles with its {@link Answer}. */
  add(
    keys: readonly string[],
    op: string,
    nowMs: string | undefined,
    extra: readonly string[] | undefined,
    deadline: number,
  ): Promise<Answer> {
    const link = this.link;
    if (link.outstanding >= link.maxInFlight) return Promise.reject(new StoreOverloadedError(link.maxInFlight));
    link.outstanding++;
    return new Promise<Answer>((resolve, reject) => {
      this.pending.push({ keys, op, nowMs, extra, deadline, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      if (link.callsInFlight < PIPELINE_DEPTH) queueMicrotask(this.flushJob);
      else setImmediate(this.flushTurn);
    });
  }

  /** Flushes the requests of one job: callers answered by one reply re-enter in one job, in lockstep. */
  private readonly flushJob = (): void => this.flush(true);

  /** Flushes the requests gathered over a turn while calls were in flight. */
  private readonly flushTurn = (): void => this.flush(false);

  /** Sends what is pending; `lockstep`: split a large batch if nothing is in flight (see MIN_SPLIT). */
  private flush(lockstep: boolean): void {
    this.scheduled = false;
    const requests = this.pending;
    this.pending = [];
    const idle = lockstep && this.link.callsInFlight === 0;
    if (!this.link.cluster || requests.length === 1) {
      this.sendAll(requests, idle);
      return;
    }
    const bySlot = new Map<number, Request[]>();
    for (const request of requests) {
      const slot = keySlot(request.keys[0] as string);
      const group = bySlot.get(slot);
      if (group === undefined) bySlot.set(slot, [request]);
      else group.push(request);
    }
    // Several slots already make several calls in flight: only a lone slot's batch is split.
    const split = idle && bySlot.size === 1;
    for (const group of bySlot.values()) this.sendAll(group, split);
  }

  /** Sends `requests` in order, as calls of at most MAX_BATCH, and as two calls when `split` and large enough. */
  private sendAll(requests: Request[], split: boolean): void {
    const count = requests.length;
    let calls = Math.ceil(count / MAX_BATCH);
    if (calls === 1 && split && count >= 2 * MIN_SPLIT) calls = 2;
    if (calls === 1) {
      this.send(requests);
      return;
    }
    const size = Math.ceil(count / calls);
    for (let from = 0; from < count; from += size) this.send(requests.slice(from, from + size));
  }

  private send(requests: readonly Request[]): void {
    const link = this.link;
    const args = (link.packedReplies ? this.packedHeader : this.header).slice();
    const firstKeys = (requests[0] as Request).keys;
    // On the server's TIME, a batch of cost-1 limits (the common case) needs no argument per request.
    let plain = true;
    // Every request on the same keys (a hot key): the keys go once (see lua/prelude.lua.ts).
    let repeated = requests.length > 1;
    let deadline = Number.POSITIVE_INFINITY;
    for (const request of requests) {
      if (request.op !== '1' || request.nowMs !== undefined) plain = false;
      if (request.deadline < deadline) deadline = request.deadline;
      if (repeated && request.keys !== firstKeys) repeated = sameKeys(request.keys, firstKeys);
    }
    let keys: string[];
    if (repeated) {
      keys = firstKeys.slice();
      args[ENCODING_ARG] = `${args[ENCODING_ARG]}${requests.length}`;
    } else {
      keys = [];
      for (const request of requests) for (const key of request.keys) keys.push(key);
    }
    if (deadline !== Number.POSITIVE_INFINITY) args[DEADLINE_ARG] = String(link.serverClock.toServer(deadline));
    if (!plain) {
      for (const request of requests) {
        args.push(request.op);
        if (request.nowMs !== undefined) args.push(request.nowMs);
        if (request.extra !== undefined) for (const arg of request.extra) args.push(arg);
      }
    }
    const lone =
      requests.length === 1 ? this.loneArgs(requests[0] as Request, args[DEADLINE_ARG] as string) : undefined;
    let reply: Promise<unknown>;
    try {
      reply = link.runner.run(this.script, keys, args, lone);
    } catch (error) {
      // A client that throws instead of rejecting (e.g. once closed) must not throw out of a microtask.
      reply = Promise.reject(error);
    }
    link.callsInFlight++;
    reply.then(
      (answer) => {
        this.settled(requests);
        this.deliver(requests, answer, lone !== undefined);
      },
      (error: unknown) => {
        this.settled(requests);
        for (const request of requests) request.reject(error);
      },
    );
  }

  /**
   * The lone function's arguments for a request alone in its call (see lua/lone.lua.ts), or undefined when
   * it needs the general call: several limits, an explicit clock, or anything but a limit of one cost.
   */
  private loneArgs(request: Request, deadline: string): string[] | undefined {
    const op = request.op;
    const code = op.charCodeAt(0);
    // A limit's op is its cost: digits (see costArg in binding.ts).
    if (this.lone === undefined || request.nowMs !== undefined || code < 48 || code > 57) return undefined;
    if (op !== '1') return [this.lone, deadline, op];
    return deadline === '' ? [this.lone] : [this.lone, deadline];
  }

  private settled(requests: readonly Request[]): void {
    this.link.callsInFlight--;
    this.link.outstanding -= requests.length;
  }

  /** `lone`: the call was sent with the lone function's arguments (its three-number reply is its own). */
  private deliver(requests: readonly Request[], reply: unknown, lone: boolean): void {
    const answer = reply instanceof Uint8Array ? unpackReply(reply) : reply;
    if (answer === undefined && reply instanceof Uint8Array) {
      this.unreadable(requests, reply);
      return;
    }
    if (!Array.isArray(answer) || answer.length < 2) {
      this.malformed(requests, reply);
      return;
    }
    const serverNowMs = Number(answer[0]);
    if (serverNowMs > 0) this.link.serverClock.observe(serverNowMs, performance.now());
    // Only a lone call can answer with three numbers: a reset or refund alone in a general call also has three.
    if (lone && answer.length === LONE_ADMITTED) {
      const request = requests[0] as Request;
      const admitted = readAdmitted(answer, 1, this.limitOf(0), serverNowMs, Number(request.op), COMPACT);
      request.resolve(this.combine ? admitted : [admitted]);
      return;
    }
    if (Number(answer[1]) !== 1) {
      const late = new StoreTimeoutError(undefined, true);
      for (const request of requests) request.reject(late);
      return;
    }
    const count = this.specs.length;
    let at = 2;
    for (const request of requests) {
      const status = Number(answer[at++]);
      const compact = status === COMPACT || status === COMPACT_DELAYED;
      if (status !== 1 && !compact) {
        request.reject(new StoreRequestError(String(answer[at++])));
        continue;
      }
      if (request.op === 'd' || request.op === 'r') {
        request.resolve(undefined);
        continue;
      }
      const fields = compact ? status : FIELDS;
      if (at + fields * count > answer.length) {
        this.malformed(requests, answer);
        return;
      }
      // A compact admission leaves out what the request itself says: its instant and its cost.
      const atMs = compact ? (request.nowMs === undefined ? serverNowMs : Number(request.nowMs)) : 0;
      const cost = compact ? Number(request.op) : 0;
      if (count === 1 && this.combine) {
        request.resolve(
          compact
            ? readAdmitted(answer, at, this.limitOf(0), atMs, cost, status)
            : readLimit(answer, at, this.limitOf(0)),
        );
      } else {
        const decisions: Decision[] = [];
        for (let i = 0; i < count; i++) {
          const offset = at + fields * i;
          decisions.push(
            compact
              ? readAdmitted(answer, offset, this.limitOf(i), atMs, cost, status)
              : readLimit(answer, offset, this.limitOf(i)),
          );
        }
        request.resolve(this.combine ? combineDecisions(this.specs, decisions) : decisions);
      }
      at += fields * count;
    }
  }

  /** Limit `i`'s limit or capacity. */
  private limitOf(i: number): number {
    return (this.specs[i] as LimitSpec).policy.limit;
  }

  /**
   * A packed reply that does not read: the server's cmsgpack writes what unpackReply does not know. Its
   * call has run (what it committed is lost with its answer): the store asks for the plain reply from now
   * on, so that only this call and those already sent with it fail, not every call.
   */
  private unreadable(requests: readonly Request[], reply: Uint8Array): void {
    this.link.packedReplies = false;
    const error = new TypeError(
      `flowgate: the Redis script's packed reply (cmsgpack.pack) does not read as MessagePack this client knows; the store asks for the plain array reply from now on. Reply bytes: ${Buffer.from(reply.subarray(0, 64)).toString('hex')}`,
    );
    for (const request of requests) request.reject(error);
  }

  private malformed(requests: readonly Request[], answer: unknown): void {
    const error = new TypeError(`flowgate: unexpected reply from the Redis script: ${JSON.stringify(answer)}`);
    for (const request of requests) request.reject(error);
  }
}
