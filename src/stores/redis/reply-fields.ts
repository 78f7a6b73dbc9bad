import { type Decision, decision } from '../../policies/decision.js';

/**
 * The numbers the Redis script answers per limit of a request (the reply's
 * layout is lua/prelude.lua.ts's; lone calls', lua/lone.lua.ts's), read into
 * a `Decision`. The batcher (batch.ts) walks the reply; this reads one limit.
 */

/** Numbers per limit in the script's full reply. */
export const FIELDS = 7;

/**
 * The statuses of a compact admission: numbers per limit remaining, resetMs, and with
 * COMPACT_DELAYED delayMs. A status is its number of fields.
 */
export const COMPACT = 2;
export const COMPACT_DELAYED = 3;

/** The length of the lone function's reply to a plain admission: server time, remaining, resetMs. */
export const LONE_ADMITTED = 3;

/** A limit's full numbers at `offset`: allowed (1|0), remaining, resetMs, retryAfterMs, delayMs, atMs, spent. */
export function readLimit(reply: readonly unknown[], offset: number, limit: number): Decision {
  return decision(
    Number(reply[offset]) === 1,
    limit,
    Number(reply[offset + 1]),
    Number(reply[offset + 2]),
    Number(reply[offset + 3]),
    Number(reply[offset + 4]),
    Number(reply[offset + 5]),
    Number(reply[offset + 6]),
  );
}

/**
 * A limit's compact admission at `offset`: remaining, resetMs, and with COMPACT_DELAYED delayMs; what it
 * leaves out is the request's own (admitted at `atMs`, spending `cost`).
 */
export function readAdmitted(
  reply: readonly unknown[],
  offset: number,
  limit: number,
  atMs: number,
  cost: number,
  status: number,
): Decision {
  return decision(
    true,
    limit,
    Number(reply[offset]),
    Number(reply[offset + 1]),
    0,
    status === COMPACT_DELAYED ? Number(reply[offset + 2]) : 0,
    atMs,
    cost,
  );
}
