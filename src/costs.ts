import { FlowgateArgumentError, FlowgateRangeError, show } from './errors.js';

/**
 * What one request spends, as the stores take it: one number for every
 * limit, or one per limit in declaration order (a limiter with `limits` and
 * a per-limit `cost` record). Kept as one number whenever the record's
 * costs are all the same and positive, so the common case stays on the
 * stores' one-cost path.
 */
export type StoreCost = number | readonly number[];

/** The cost that limit `i` of a request spends. */
export function costOf(cost: StoreCost, i: number): number {
  return typeof cost === 'number' ? cost : (cost[i] as number);
}

/** The largest cost of any limit (what the decision events report as the request's cost). */
export function largestCost(cost: StoreCost): number {
  return typeof cost === 'number' ? cost : Math.max(...cost);
}

/**
 * Validates the `cost` option of `limit` and `refund`: a positive whole
 * number for every limit, or (a limiter with `limits`) a record naming every
 * limit with a whole number from 0 each. A record must name every limit, and
 * only those: a forgotten limit is a mistake to report, not a silent default
 * (would it cost 1, or 0?). 0 means the request does not count in that limit
 * (its decision then reports the limit's state as it is, and never denies).
 */
export class CostCheck {
  /** The largest cost that every limit can admit. */
  private readonly smallest: number;

  constructor(
    private readonly names: readonly string[],
    private readonly isSet: boolean,
    /** The largest cost each limit can admit (with shards, its smallest part's). */
    private readonly limits: readonly number[],
    private readonly sharded: boolean,
  ) {
    this.smallest = Math.min(...limits);
  }

  /** The cost as the stores take it, or the error that says what was wrong. */
  of(cost: unknown): StoreCost | Error {
    if (typeof cost === 'number') return this.one(cost);
    if (!this.isSet || typeof cost !== 'object' || cost === null || Array.isArray(cost)) {
      return new FlowgateArgumentError(
        'FG_COST_INVALID',
        `cost: received ${show(cost)}, expected a positive whole number${this.isSet ? ` or a record of a whole number per limit (${this.names.join(', ')})` : ''}`,
      );
    }
    return this.record(cost as Record<string, unknown>);
  }

  private one(cost: number): StoreCost | Error {
    if (!Number.isInteger(cost) || cost < 1) {
      return new FlowgateArgumentError(
        'FG_COST_INVALID',
        `cost: received ${show(cost)}, expected a positive whole number`,
      );
    }
    const { smallest } = this;
    if (cost > smallest) {
      const what = this.isSet
        ? `the smallest limit of ${smallest}`
        : this.sharded
          ? `the smallest shard's limit of ${smallest}`
          : `the policy's limit of ${smallest}`;
      return new FlowgateRangeError(
        'FG_COST_EXCEEDS_LIMIT',
        `cost ${cost} exceeds ${what}; such a request could never be admitted`,
      );
    }
    return cost;
  }

  private record(record: Record<string, unknown>): StoreCost | Error {
    const { names } = this;
    const missing = names.filter((name) => !Object.hasOwn(record, name));
    const unknown = Object.keys(record).filter((name) => !names.includes(name));
    if (missing.length > 0 || unknown.length > 0) {
      const wrong = [
        ...(missing.length > 0 ? [`no cost for ${missing.join(', ')}`] : []),
        ...(unknown.length > 0 ? [`no limit named ${unknown.join(', ')}`] : []),
      ];
      return new FlowgateArgumentError(
        'FG_COST_RECORD_INVALID',
        `cost: ${wrong.join('; ')}; expected a whole number for every limit and only those: { ${names.map((n) => `${n}: …`).join(', ')} } (0: the request does not count in that limit)`,
      );
    }
    const costs = names.map((name) => record[name]);
    for (const [i, cost] of costs.entries()) {
      const name = names[i] as string;
      if (typeof cost !== 'number' || !Number.isInteger(cost) || cost < 0) {
        return new FlowgateArgumentError(
          'FG_COST_INVALID',
          `cost.${name}: received ${show(cost)}, expected a whole number from 0 (0: the request does not count in this limit)`,
        );
      }
      const limit = this.limits[i] as number;
      if (cost > limit) {
        return new FlowgateRangeError(
          'FG_COST_EXCEEDS_LIMIT',
          `cost.${name} ${cost} exceeds ${this.sharded ? `its smallest shard's limit of ${limit}` : `its limit of ${limit}`}; such a request could never be admitted`,
        );
      }
    }
    const first = costs[0] as number;
    if (first > 0 && costs.every((cost) => cost === first)) return first;
    return costs as number[];
  }
}
