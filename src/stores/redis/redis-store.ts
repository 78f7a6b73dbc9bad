import type { Decision } from '../../policies/decision.js';
import { IssueList, isOptionsObject } from '../../policies/errors.js';
import { combineDecisions, type LimitSpec } from '../../policies/limit-set.js';
import type { Admission } from '../../policies/policy.js';
import type { BoundStore, Store, StoreBinding } from '../store.js';
import { Batcher, Link } from './batch.js';
import { clientKind, guardErrorEvents, isClusterClient, type RedisClientLike, scriptRunner } from './client.js';
import { keySlot } from './key-slot.js';
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
      const header = [...head, String(limits.length)];
      for (const spec of limits) header.push(algorithmTag(spec.policy), ...policyArgs(spec), spec.shadow ? 's' : '');
      return new Batcher(this.link, header, limits, combine);
    };
    const namer = new KeyNamer(binding.prefix, binding.limits, binding.hashTag);
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

/** A limiter's keys on one Redis (or a set whose keys share a cluster slot): one script call per request. */
class RedisBinding implements BoundStore {
  readonly count: number;

  constructor(
    private readonly batcher: Batcher,
    readonly namer: KeyNamer,
    specs: readonly LimitSpec[],
    private readonly clock: (() => number) | undefined,
  ) {
    this.count = specs.length;
  }

  limit(keys: readonly string[], cost: number, deadline: number): Promise<Decision> {
    return this.batcher.add(this.redisKeys(keys), costArg(cost), this.now(), undefined, deadline) as Promise<Decision>;
  }

  peek(keys: readonly string[], deadline: number): Promise<Decision> {
    return this.batcher.add(this.redisKeys(keys), 'p', this.now(), undefined, deadline) as Promise<Decision>;
  }

  async refund(
    keys: readonly string[],
    cost: number,
    admissions: readonly (Admission | undefined)[],
    deadline: number,
  ): Promise<void> {
    await this.batcher.add(this.redisKeys(keys), 'r', this.now(), refundArgs(cost, admissions), deadline);
  }

  async reset(keys: readonly string[], deadline: number): Promise<void> {
    await this.batcher.add(this.redisKeys(keys), 'd', this.now(), undefined, deadline);
  }

  now(): string | undefined {
    return this.clock === undefined ? undefined : String(Math.floor(this.clock()));
  }

  redisKeys(keys: readonly string[]): string[] {
    const out = new Array<string>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.namer.key(i, keys[i] as string);
    return out;
  }
}

/** One group of a set's limits whose keys share a cluster slot: their indexes and their keys. */
interface SlotGroup {
  readonly indexes: readonly number[];
  readonly keys: readonly string[];
}

/**
 * A limit set on a Redis Cluster. A request whose keys share a slot is one
 * script call, all or nothing, as on one Redis. One whose keys span slots is
 * reserved slot by slot (each slot's limits all or nothing, one slot after
 * the other in declaration order, one round trip each); if a slot denies,
 * the slots that admitted are released (an exact refund of what they just
 * spent) and the set is denied. No limit ever admits more than it allows;
 * the price of spanning slots is a round trip per slot and that a concurrent
 * request may be denied while a doomed reservation is still held (see
 * bench/limit-sets-cluster.ts), which the `hashTag` option avoids.
 */
class ClusterSetBinding implements BoundStore {
  /** One batcher per group of limits (by their indexes), each settling with the limits' own decisions. */
  private readonly groups = new Map<string, Batcher>();

  constructor(
    private readonly whole: RedisBinding,
    private readonly specs: readonly LimitSpec[],
    private readonly batcherOf: (indexes: readonly number[]) => Batcher,
  ) {}

  limit(keys: readonly string[], cost: number, deadline: number): Promise<Decision> {
    const groups = this.slotGroups(keys);
    if (groups === undefined) return this.whole.limit(keys, cost, deadline);
    return this.reserve(groups, cost, deadline);
  }

  async peek(keys: readonly string[], deadline: number): Promise<Decision> {
    const groups = this.slotGroups(keys);
    if (groups === undefined) return this.whole.peek(keys, deadline);
    const nowMs = this.whole.now();
    const decisions = await this.each(groups, (group) => this.ask(group, 'p', nowMs, undefined, deadline));
    if (this.admitsAll(decisions)) return combineDecisions(this.specs, decisions);
    // Denied: the slots whose limits all admitted report their state as it is (a denied set spends nothing).
    const settled = groups.filter((group) => group.indexes.every((i) => (decisions[i] as Decision).allowed));
    await this.each(settled, (group) => this.ask(group, 'z', nowMs, undefined, deadline), decisions);
    return combineDecisions(this.specs, decisions);
  }

  async refund(
    keys: readonly string[],
    cost: number,
    admissions: readonly (Admission | undefined)[],
    deadline: number,
  ): Promise<void> {
    const groups = this.slotGroups(keys);
    if (groups === undefined) return this.whole.refund(keys, cost, admissions, deadline);
    const nowMs = this.whole.now();
    await Promise.all(
      groups.map((group) =>
        this.batcher(group).add(
          group.keys,
          'r',
          nowMs,
          refundArgs(
            cost,
            group.indexes.map((i) => admissions[i]),
          ),
          deadline,
        ),
      ),
    );
  }

  async reset(keys: readonly string[], deadline: number): Promise<void> {
    const groups = this.slotGroups(keys);
    if (groups === undefined) return this.whole.reset(keys, deadline);
    const nowMs = this.whole.now();
    await Promise.all(groups.map((group) => this.batcher(group).add(group.keys, 'd', nowMs, undefined, deadline)));
  }

  private async reserve(groups: readonly SlotGroup[], cost: number, deadline: number): Promise<Decision> {
    const nowMs = this.whole.now();
    const decisions: Decision[] = new Array(this.specs.length);
    // Slot by slot, in the order the limits are declared (the usual order is from the most
    // specific key to the most shared: user, org, global), stopping at the first slot that
    // denies: a request that a user's own limit denies never holds a unit of a shared limit.
    const held: SlotGroup[] = [];
    let failure: unknown;
    let denied = false;
    let next = 0;
    for (; next < groups.length && !denied && failure === undefined; next++) {
      const group = groups[next] as SlotGroup;
      try {
        const answer = await this.ask(group, costArg(cost), nowMs, undefined, deadline);
        for (const [j, i] of group.indexes.entries()) decisions[i] = answer[j] as Decision;
        if (this.groupAdmits(group, decisions)) held.push(group);
        else denied = true;
      } catch (error) {
        failure = error;
      }
    }
    if (!denied && failure === undefined) return combineDecisions(this.specs, decisions);
    // Doomed: give back what each slot that admitted spent, exactly, and read its state as it is
    // now (a limit that denied keeps its denial). A release only gives back, so it carries no
    // deadline: late, it is still right.
    const denials = decisions.slice();
    const releases = held.map((group) =>
      this.ask(
        group,
        'R',
        nowMs,
        refundArgs(
          cost,
          group.indexes.map((i) => {
            const d = decisions[i] as Decision;
            return d.allowed ? d : undefined;
          }),
        ),
        Number.POSITIVE_INFINITY,
      ),
    );
    if (failure !== undefined) {
      await Promise.allSettled(releases);
      throw failure;
    }
    // The slots not reached still say what they would decide (a denied set names every limit that denies).
    const unreached = groups.slice(next).map((group) => this.ask(group, 'e', nowMs, [String(cost)], deadline));
    const reports = await Promise.all([...releases, ...unreached]);
    for (const [g, group] of [...held, ...groups.slice(next)].entries()) {
      for (const [j, i] of group.indexes.entries()) decisions[i] = (reports[g] as readonly Decision[])[j] as Decision;
    }
    for (const [i, d] of denials.entries()) if (d !== undefined && !d.allowed) decisions[i] = d;
    return combineDecisions(this.specs, decisions);
  }

  /** Asks every group, in parallel; writes each limit's decision at its index. */
  private async each(
    groups: readonly SlotGroup[],
    ask: (group: SlotGroup) => Promise<readonly Decision[]>,
    into: Decision[] = new Array(this.specs.length),
  ): Promise<Decision[]> {
    const answers = await Promise.all(groups.map(ask));
    for (const [g, group] of groups.entries()) {
      for (const [j, i] of group.indexes.entries()) into[i] = (answers[g] as readonly Decision[])[j] as Decision;
    }
    return into;
  }

  private ask(
    group: SlotGroup,
    op: string,
    nowMs: string | undefined,
    extra: readonly string[] | undefined,
    deadline: number,
  ): Promise<readonly Decision[]> {
    return this.batcher(group).add(group.keys, op, nowMs, extra, deadline) as Promise<readonly Decision[]>;
  }

  private batcher(group: SlotGroup): Batcher {
    const id = group.indexes.join(',');
    let batcher = this.groups.get(id);
    if (batcher === undefined) {
      batcher = this.batcherOf(group.indexes);
      this.groups.set(id, batcher);
    }
    return batcher;
  }

  /** Whether every enforced limit of `group` admitted. */
  private groupAdmits(group: SlotGroup, decisions: readonly Decision[]): boolean {
    return group.indexes.every((i) => (this.specs[i] as LimitSpec).shadow || (decisions[i] as Decision).allowed);
  }

  private admitsAll(decisions: readonly Decision[]): boolean {
    return this.specs.every((spec, i) => spec.shadow || (decisions[i] as Decision).allowed);
  }

  /** The request's limits grouped by the slot of their keys, or undefined when they all share one. */
  private slotGroups(keys: readonly string[]): SlotGroup[] | undefined {
    const redisKeys = this.whole.redisKeys(keys);
    const slots = redisKeys.map(keySlot);
    if (slots.every((slot) => slot === slots[0])) return undefined;
    const bySlot = new Map<number, number[]>();
    for (const [i, slot] of slots.entries()) {
      const indexes = bySlot.get(slot);
      if (indexes === undefined) bySlot.set(slot, [i]);
      else indexes.push(i);
    }
    // Map keeps insertion order: groups come in the order of their first limit's declaration.
    return [...bySlot.values()].map((indexes) => ({ indexes, keys: indexes.map((i) => redisKeys[i] as string) }));
  }
}

function costArg(cost: number): string {
  return cost === 1 ? '1' : String(cost);
}

/** A refund's arguments after its op: the cost, then per limit the admission's atMs and resetMs. */
function refundArgs(cost: number, admissions: readonly (Admission | undefined)[]): string[] {
  const extra = [String(cost)];
  for (const admission of admissions) {
    if (admission === undefined) extra.push('', '');
    else if (Number.isNaN(admission.atMs)) extra.push('L', '0');
    else extra.push(String(admission.atMs), String(admission.resetMs));
  }
  return extra;
}
