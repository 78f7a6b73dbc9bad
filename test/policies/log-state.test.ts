/**
 * LogState keeps a log of one entry inline (no object) and moves a log of
 * two entries or more into a RunLog of its own, back inline once every entry
 * has left the window. The sliding log must decide the same whichever form a
 * key's log is in: checked here against a plain list of (instant, units)
 * written from DESIGN.md, over random traces of admissions, peeks, refunds
 * and clocks that step back, on one index of a LogState shared with others.
 * The heap per key of a million one-entry logs is in bench/results/memory.md.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type Decision, LogState, slidingLog } from '../../src/index.js';

/** The sliding log as a list of entries, one per admission: the DESIGN.md semantics, no run-length encoding. */
class ListLog {
  entries: { atMs: number; units: number }[] = [];

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  decide(nowMs: number, cost: number, commit: boolean): Omit<Decision, 'degraded' | 'limit'> {
    const { limit, windowMs } = this;
    const newest = this.entries.length > 0 ? (this.entries.at(-1)?.atMs as number) : Number.NEGATIVE_INFINITY;
    const now = Math.max(nowMs, newest);
    const live = this.entries.filter((e) => now < e.atMs + windowMs);
    const count = live.reduce((sum, e) => sum + e.units, 0);
    if (count + cost <= limit) {
      if (commit) {
        this.entries = live;
        const last = live.at(-1);
        if (last?.atMs === now) last.units += cost;
        else live.push({ atMs: now, units: cost });
      }
      const remaining = limit - count - cost;
      return {
        allowed: true,
        remaining,
        resetMs: now + windowMs - nowMs,
        retryAfterMs: 0,
        delayMs: 0,
        atMs: now,
        spent: commit ? cost : 0,
      };
    }
    // The instant of the entry holding the (count + cost - limit)-th live unit.
    let need = count + cost - limit;
    let unblocking = Number.NaN;
    for (const e of live) {
      need -= e.units;
      if (need <= 0) {
        unblocking = e.atMs;
        break;
      }
    }
    return {
      allowed: false,
      remaining: Math.max(0, limit - count),
      resetMs: newest + windowMs - nowMs,
      retryAfterMs: unblocking + windowMs - nowMs,
      delayMs: 0,
      atMs: now,
      spent: 0,
    };
  }

  refund(nowMs: number, atMs: number, cost: number): void {
    const newest = this.entries.length > 0 ? (this.entries.at(-1)?.atMs as number) : Number.NEGATIVE_INFINITY;
    const horizon = Math.max(nowMs, newest) - this.windowMs;
    const target = Number.isNaN(atMs) ? newest : atMs;
    if (!(target > horizon)) return;
    const i = this.entries.findIndex((e) => e.atMs === target);
    if (i < 0) return;
    const entry = this.entries[i] as { atMs: number; units: number };
    entry.units -= Math.min(cost, entry.units);
    if (entry.units === 0) this.entries.splice(i, 1);
  }
}

const step = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('limit' as const),
      dt: fc.integer({ min: -3, max: 12 }),
      cost: fc.integer({ min: 1, max: 4 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('peek' as const), dt: fc.integer({ min: -3, max: 12 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('refund' as const),
      dt: fc.integer({ min: -3, max: 12 }),
      cost: fc.integer({ min: 1, max: 4 }),
      back: fc.nat(6),
    }),
  },
);

test('a log decides the same inline and in a RunLog: random admissions, peeks, refunds, clocks stepping back', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 1, max: 20 }),
      fc.array(step, { maxLength: 60 }),
      (limit, windowMs, steps) => {
        const policy = slidingLog({ limit, window: windowMs });
        // Index 2 of 4, its neighbours holding logs of their own that must not change.
        const state = new LogState(4);
        for (const at of [0, 1, 2, 3]) policy.init(state, at);
        const neighbours = [1, 3].map((at) => {
          const list = new ListLog(limit, windowMs);
          for (const atMs of at === 1 ? [1_000] : [1_000, 1_001]) {
            policy.decide(state, at, atMs, 1, true);
            list.decide(atMs, 1, true);
          }
          return { at, list };
        });
        const list = new ListLog(limit, windowMs);
        const admissions: number[] = [];
        let t = 2_000;
        for (const s of steps) {
          t += s.dt;
          if (s.op === 'refund') {
            const atMs = s.back < admissions.length ? (admissions.at(-1 - s.back) as number) : Number.NaN;
            policy.refund(state, 2, t, s.cost, { atMs, resetMs: 0 });
            list.refund(t, atMs, s.cost);
            continue;
          }
          const cost = s.op === 'limit' ? Math.min(s.cost, limit) : 1;
          const commit = s.op === 'limit';
          const { degraded: _, limit: __, ...actual } = policy.decide(state, 2, t, cost, commit);
          assert.deepEqual(actual, list.decide(t, cost, commit), `${s.op} at ${t}`);
          if (commit && actual.allowed) admissions.push(actual.atMs);
        }
        // The neighbours' logs are untouched.
        for (const { at, list } of neighbours) {
          const { degraded: _, limit: __, ...peeked } = policy.decide(state, at, 1_001, 1, false);
          assert.deepEqual(peeked, list.decide(1_001, 1, false), `log ${at}`);
        }
      },
    ),
    { numRuns: 500 },
  );
});
