import { type Decision, decision } from '../../policies/decision.js';
import type { ScriptRunner } from './client.js';
import type { Script } from './scripts.js';

/** Most requests in one script call: bounds how long one call holds the (single-threaded) server. */
export const MAX_BATCH = 256;

/** One decision waiting for its script call. */
interface Request {
  readonly key: string;
  /** The signed cost argument: negative for a peek. */
  readonly cost: string;
  /** nowMs with an explicit clock, read when the request was made. */
  readonly nowMs: string | undefined;
  readonly resolve: (decided: Decision) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Sends the requests made during one tick of the event loop as one script
 * call (`EVALSHA` with one key per request), instead of one call each: the
 * per-command cost of the client, the socket and the server's script
 * machinery then comes once per batch, and a key with several requests is
 * read and written once. The script decides them in the order they were made,
 * each exactly as it would alone (atomically, on the same state); only their
 * replies arrive together. On a cluster a batch holds one key only, since a
 * script's keys must share a slot.
 *
 * @example
 * const batcher = new Batcher(runner, script, params, false, 10);
 * const [a, b] = await Promise.all([batcher.add('{flowgate:a}', '1', undefined), batcher.add('{flowgate:b}', '-1', undefined)]);
 */
export class Batcher {
  private pending: Request[] = [];

  constructor(
    private readonly runner: ScriptRunner,
    private readonly script: Script,
    /** ARGV before the requests' own: the clock mode and the policy's parameters. */
    private readonly params: readonly string[],
    private readonly perKey: boolean,
    private readonly policyLimit: number,
  ) {}

  /** Queues a request for `key` (a Redis key name); settles with its decision. */
  add(key: string, cost: string, nowMs: string | undefined): Promise<Decision> {
    return new Promise<Decision>((resolve, reject) => {
      // setImmediate runs once this turn of the event loop has handled all its I/O: requests made by
      // every socket read in the turn (an HTTP server under load) join the batch, not only those of one
      // callback and its promise jobs, as with process.nextTick (which node drains after each callback).
      if (this.pending.length === 0) setImmediate(this.flush);
      this.pending.push({ key, cost, nowMs, resolve, reject });
    });
  }

  private readonly flush = (): void => {
    const requests = this.pending;
    this.pending = [];
    if (!this.perKey) {
      for (let from = 0; from < requests.length; from += MAX_BATCH) {
        this.send(requests.length <= MAX_BATCH ? requests : requests.slice(from, from + MAX_BATCH));
      }
      return;
    }
    if (requests.length === 1) {
      this.send(requests);
      return;
    }
    const byKey = new Map<string, Request[]>();
    for (const request of requests) {
      const group = byKey.get(request.key);
      if (group === undefined) byKey.set(request.key, [request]);
      else group.push(request);
    }
    for (const group of byKey.values()) {
      for (let from = 0; from < group.length; from += MAX_BATCH) this.send(group.slice(from, from + MAX_BATCH));
    }
  };

  private send(requests: readonly Request[]): void {
    const count = requests.length;
    const keys = new Array<string>(count);
    // On the server's TIME, a batch of cost-1 limits (the common case) needs no argument per request.
    let plain = true;
    for (let i = 0; i < count; i++) {
      const request = requests[i] as Request;
      keys[i] = request.key;
      if (request.cost !== '1' || request.nowMs !== undefined) plain = false;
    }
    const args = this.params.slice();
    if (!plain) {
      for (const request of requests) {
        args.push(request.cost);
        if (request.nowMs !== undefined) args.push(request.nowMs);
      }
    }
    let reply: Promise<unknown>;
    try {
      reply = this.runner.run(this.script, keys, args);
    } catch (error) {
      // A client that throws instead of rejecting (e.g. once closed) must not throw out of setImmediate.
      reply = Promise.reject(error);
    }
    reply.then(
      (reply) => {
        if (!Array.isArray(reply) || reply.length !== 5 * count) {
          const error = new TypeError(`flowgate: unexpected reply from the Redis script: ${JSON.stringify(reply)}`);
          for (const request of requests) request.reject(error);
          return;
        }
        for (let i = 0; i < count; i++) (requests[i] as Request).resolve(toDecision(reply, 5 * i, this.policyLimit));
      },
      (error: unknown) => {
        for (const request of requests) request.reject(error);
      },
    );
  }
}

/** Reads the script's 5 numbers at `offset`: allowed (1|0), remaining, resetMs, retryAfterMs, delayMs. */
function toDecision(reply: unknown[], offset: number, limit: number): Decision {
  return decision(
    Number(reply[offset]) === 1,
    limit,
    Number(reply[offset + 1]),
    Number(reply[offset + 2]),
    Number(reply[offset + 3]),
    Number(reply[offset + 4]),
  );
}
