import type { StoreCost } from '../../costs.js';
import type { Decision } from '../../policies/decision.js';
import { combineDecisions, type LimitSpec } from '../../policies/limit-set.js';
import type { Refund } from '../../policies/policy.js';
import type { BoundStore } from '../store.js';
import type { Batcher } from './batch.js';
import { costArg, costArgs, type RedisBinding, refundArgs } from './binding.js';
import { keySlot } from './key-slot.js';

/**
 * Most batchers a binding keeps, one per group of limits (by their indexes)
 * seen sharing a slot. A set of a few limits has a few groups; one of many
 * limits whose keys a client chooses (`flowgate serve`) has as many as its
 * subsets, so past this a group's batcher serves its call alone.
 */
export const MAX_KEPT_GROUPS = 64;

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
export class ClusterSetBinding implements BoundStore {
  /** One batcher per group of limits (by their indexes), each settling with the limits' own decisions. */
  private readonly groups = new Map<string, Batcher>();

  constructor(
    private readonly whole: RedisBinding,
    private readonly specs: readonly LimitSpec[],
    private readonly batcherOf: (indexes: readonly number[]) => Batcher,
  ) {}

  limit(keys: readonly string[], cost: StoreCost, deadline: number): Promise<Decision> {
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

  async refund(keys: readonly string[], refunds: readonly (Refund | undefined)[], deadline: number): Promise<void> {
    const groups = this.slotGroups(keys);
    if (groups === undefined) return this.whole.refund(keys, refunds, deadline);
    const nowMs = this.whole.now();
    await Promise.all(
      groups.map((group) =>
        this.batcher(group).add(group.keys, 'r', nowMs, refundArgs(group.indexes.map((i) => refunds[i])), deadline),
      ),
    );
  }

  async reset(keys: readonly string[], deadline: number): Promise<void> {
    const groups = this.slotGroups(keys);
    if (groups === undefined) return this.whole.reset(keys, deadline);
    const nowMs = this.whole.now();
    await Promise.all(groups.map((group) => this.batcher(group).add(group.keys, 'd', nowMs, undefined, deadline)));
  }

  private async reserve(groups: readonly SlotGroup[], cost: StoreCost, deadline: number): Promise<Decision> {
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
        const [op, extra] = groupCost(group, cost, 'limit');
        const answer = await this.ask(group, op, nowMs, extra, deadline);
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
        // Each limit gives back exactly what it just spent (a shadow limit that denied spent nothing).
        refundArgs(
          group.indexes.map((i) => {
            const d = decisions[i] as Decision;
            return d.spent > 0 ? { atMs: d.atMs, resetMs: d.resetMs, cost: d.spent } : undefined;
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
    const unreached = groups.slice(next).map((group) => {
      const [op, extra] = groupCost(group, cost, 'evaluate');
      return this.ask(group, op, nowMs, extra, deadline);
    });
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
      if (this.groups.size < MAX_KEPT_GROUPS) this.groups.set(id, batcher);
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

/**
 * The op and arguments that decide (`limit`) or evaluate (`evaluate`, for a
 * set denied in another slot) a group's limits at their costs: one cost for
 * the group when its limits share one, else one per limit ('c', 'E').
 */
function groupCost(
  group: SlotGroup,
  cost: StoreCost,
  purpose: 'limit' | 'evaluate',
): [op: string, extra: readonly string[] | undefined] {
  let one: number | undefined;
  if (typeof cost === 'number') {
    one = cost;
  } else {
    const first = cost[group.indexes[0] as number] as number;
    if (first > 0 && group.indexes.every((i) => cost[i] === first)) one = first;
  }
  if (one !== undefined) return purpose === 'limit' ? [costArg(one), undefined] : ['e', [String(one)]];
  const costs = costArgs(group.indexes.map((i) => (cost as readonly number[])[i] as number));
  return [purpose === 'limit' ? 'c' : 'E', costs];
}
