import { IssueList, isOptionsObject } from '../../errors.js';
import type { LimitSpec } from '../../policies/limit-set.js';
import type { BoundStore, Store, StoreBinding } from '../store.js';
import { Batcher, Link } from './batch.js';
import { RedisBinding } from './binding.js';
import { clientKind, guardErrorEvents, isClusterClient, type RedisClientLike, scriptRunner } from './client.js';
import { ClusterSetBinding } from './cluster-sets.js';
import { algorithmTag, KeyNamer } from './keys.js';
import { ServerClock } from './server-clock.js';

/** Where the Redis store keeps a counter's state: see {@link RedisStoreOptions.encoding}. */
export type StateEncoding = 'auto' | 'value' | 'expiry';

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /**
   * An ioredis `Redis` or `Cluster`, a connected node-redis (v4+) client from
   * `createClient()` or `createCluster()`, or any `{ sendCommand(args) }`.
   * If it has no 'error' listener, RedisStore attaches one that ignores the
   * event, so a lost connection cannot crash the process (the limiter still
   * reports the outage, see its `logger`).
   */
  client: RedisClientLike;
  /**
   * With an explicit limiter `clock`, how many ms a key outlives its state.
   * Keys expire on the Redis server's time while the state is on the callers'
   * clocks; the margin lets a caller whose clock lags the others by up to this
   * much still find the state instead of a fresh key. Unused with the server's
   * `TIME`, where keys expire exactly when their state is back at full capacity.
   * @default 1000
   */
  expiryMarginMs?: number;
  /**
   * Most decisions waiting for Redis at once (sent or queued, including those
   * whose callers already gave up). Past it, decisions go straight to the
   * limiter's `onStoreError`, so a Redis that stops answering (paused, or a
   * black-holed network path) costs a bounded amount of memory: about 1 KB
   * per waiting decision.
   * @default 1000
   */
  maxInFlight?: number;
  /**
   * Where a counter's state lives (the sliding log is a list either way):
   * `'expiry'` keeps part of it in the key's absolute expiry (PEXPIRETIME, Redis
   * >= 7), so a bucket or window key stores only a small integer; `'value'`
   * keeps all of it in the value under a relative TTL. `'auto'` uses the expiry
   * on the server's `TIME` and the value with an explicit clock, whose
   * instants are not the server's. `'expiry'` with an explicit clock is for
   * replaying fixed instants that lie ahead of the server's clock (tests).
   * @default 'auto'
   */
  encoding?: StateEncoding;
}

const KNOWN = [
  'client',
  'expiryMarginMs',
  'maxInFlight',
  'encoding',
] as const satisfies readonly (keyof RedisStoreOptions)[];
const DEFAULT_EXPIRY_MARGIN_MS = 1000;
/** A day: a margin is for clock skew, not for keeping state. */
const MAX_EXPIRY_MARGIN_MS = 86_400_000;
const DEFAULT_MAX_IN_FLIGHT = 1000;
const MAX_IN_FLIGHT = 1_000_000;
const ENCODINGS: readonly StateEncoding[] = ['auto', 'value', 'expiry'];

/**
 * State in Redis or Redis Cluster: every decision is made by one atomic Lua
 * script (one round trip, `EVALSHA`, and `EVAL` only after `NOSCRIPT`); the
 * decisions asked for in one turn of the event loop share one script call
 * (per slot on a cluster), each decided in order exactly as it would be
 * alone, and one request's error never decides, fails or commits another's.
 * Time is the Redis server's `TIME`, so processes with skewed clocks agree,
 * unless the limiter has an explicit `clock`. Keys expire as soon as their
 * state is back at full capacity. A call that reaches Redis after its caller
 * gave up (`timeoutMs`) commits nothing; at most `maxInFlight` decisions
 * wait for Redis at once.
 *
 * @example
 * import { Redis } from 'ioredis';
 * import { RateLimiter, tokenBucket } from 'flowgate';
 * import { RedisStore } from 'flowgate/redis';
 *
 * const limiter = new RateLimiter({
 *   policy: tokenBucket({ capacity: 100, refillPerSecond: 10 }),
 *   store: new RedisStore({ client: new Redis() }),
 *   timeoutMs: 100,
 * });
 */
export class RedisStore implements Store {
  private readonly link: Link;
  private readonly expiryMarginMs: string;
  private readonly encoding: StateEncoding;

  constructor(options: RedisStoreOptions) {
    const issues = new IssueList();
    let client: unknown;
    let margin: unknown;
    let maxInFlight: unknown;
    let encoding: unknown;
    if (clientKind(options) !== undefined) {
      issues.add(
        'FG_REDIS_CLIENT_INVALID',
        'RedisStore',
        'a Redis client',
        'an options object: new RedisStore({ client })',
      );
    } else if (isOptionsObject(issues, 'RedisStore', options)) {
      issues.unknownKeys('RedisStore', options, KNOWN);
      // Each option is read once: the value checked is the value used.
      ({ client, expiryMarginMs: margin, maxInFlight, encoding } = options);
      if (clientKind(client) === undefined) {
        issues.add(
          'FG_REDIS_CLIENT_INVALID',
          'RedisStore.client',
          client,
          'an ioredis Redis or Cluster, a node-redis client from createClient() or createCluster(), or an object with sendCommand(args)',
        );
      }
      if (margin !== undefined && !wholeNumberIn(margin, 0, MAX_EXPIRY_MARGIN_MS)) {
        issues.add(
          'FG_EXPIRY_MARGIN_INVALID',
          'RedisStore.expiryMarginMs',
          margin,
          `a whole number of milliseconds from 0 to ${MAX_EXPIRY_MARGIN_MS}`,
        );
      }
      if (maxInFlight !== undefined && !wholeNumberIn(maxInFlight, 1, MAX_IN_FLIGHT)) {
        issues.add(
          'FG_MAX_IN_FLIGHT_INVALID',
          'RedisStore.maxInFlight',
          maxInFlight,
          `a whole number from 1 to ${MAX_IN_FLIGHT}`,
        );
      }
      if (encoding !== undefined && !ENCODINGS.includes(encoding as StateEncoding)) {
        issues.add(
          'FG_ENCODING_INVALID',
          'RedisStore.encoding',
          encoding,
          `one of ${ENCODINGS.map((e) => `'${e}'`).join(', ')}`,
        );
      }
    }
    issues.throwIfAny();
    const redis = client as RedisClientLike;
    this.expiryMarginMs = String(margin ?? DEFAULT_EXPIRY_MARGIN_MS);
    this.encoding = (encoding as StateEncoding | undefined) ?? 'auto';
    guardErrorEvents(redis);
    this.link = new Link(
      scriptRunner(redis),
      new ServerClock(),
      (maxInFlight as number | undefined) ?? DEFAULT_MAX_IN_FLIGHT,
      isClusterClient(redis),
    );
  }

  /** Decisions waiting for Redis now (sent or queued); at most `maxInFlight`. */
  get inFlight(): number {
    return this.link.outstanding;
  }

  bind(binding: StoreBinding): BoundStore {
    const explicit = binding.clock !== undefined;
    const inExpiry = this.encoding === 'expiry' || (this.encoding === 'auto' && !explicit);
    // ARGV before the requests': see lua/prelude.lua.ts. The deadline (index 3) is filled in per call.
    const head = [explicit ? 'x' : '', inExpiry ? 'e' : 'v', this.expiryMarginMs, ''];
    const batcherOf = (limits: readonly LimitSpec[], combine: boolean): Batcher => {
      // Every limit in one argument: a Function library parses it once and keeps it (lua/limits.lua.ts).
      const described = limits.map(
        (spec) => `${[algorithmTag(spec.policy), ...policyArgs(spec), spec.shadow ? 's' : ''].join(',')};`,
      );
      return new Batcher(this.link, [...head, described.join('')], limits, combine);
    };
    const namer = new KeyNamer(binding.prefix, binding.limits, binding.hashTag, binding.sharedState === true);
    const binding_ = new RedisBinding(batcherOf(binding.limits, true), namer, binding.limits, binding.clock);
    if (!this.link.cluster || binding.limits.length === 1) return binding_;
    return new ClusterSetBinding(binding_, binding.limits, (indexes) =>
      batcherOf(
        indexes.map((i) => binding.limits[i] as LimitSpec),
        false,
      ),
    );
  }
}

/** The three parameters the script reads for a limit. */
function policyArgs(spec: LimitSpec): string[] {
  const params = spec.policy.params.map((value) => String(value));
  while (params.length < 3) params.push('');
  return params;
}

function wholeNumberIn(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}
