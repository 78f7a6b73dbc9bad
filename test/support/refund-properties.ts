/**
 * Properties of `RateLimiter.refund`, for every policy, on any store (one
 * key, one limiter per "world", the clock moving forward). Each is stated
 * exactly where the algorithm can know what an admission spent, and as a bound
 * where it cannot:
 *
 * - exact: limit, then refund with its decision: every later decision is the
 *   one of a world where that request never happened (the requests admitted
 *   in between replayed there). Fixed window, sliding window, sliding log:
 *   always (its window, its previous-window share, its own log entry). Buckets:
 *   when nothing else was admitted in between and the rate's interval is a
 *   whole number of ms (ticksPerMs 1); see `bucketNeverMore` otherwise.
 * - bucketNeverMore: with admissions in between and any rate, a bucket after
 *   the refund is between the world without the request and the world where
 *   it was never refunded: never more capacity than the first, never less
 *   than the second.
 * - bounded: over random interleavings of admissions and refunds (with recent,
 *   stale or denied decisions, without one, for more than was spent, twice),
 *   no window ever admits more than its limit plus what refunds aimed at it
 *   gave back (per algorithm below), and no refund ever leaves a key with more
 *   room than a new key (never below empty).
 * - rolledOver: a refund made once the admission's window has rolled over (its
 *   own window for the fixed window, the next one too for the sliding window,
 *   its entry out of the log, its units drained from a bucket) changes nothing.
 * - nothingSpent: refunding a denied or a degraded decision changes nothing.
 * - latest: a refund without a decision is the refund of the key's latest
 *   admission (buckets: ticksPerMs 1, where both are exact).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  type Decision,
  fixedWindow,
  leakyBucket,
  type Policy,
  RateLimiter,
  type SetDecision,
  type Store,
  slidingLog,
  slidingWindow,
  tokenBucket,
} from '../../src/index.js';
import { type LimitDef, limitsOption, setArb } from './set-traces.js';

export type Kind = 'fixedWindow' | 'slidingWindow' | 'slidingLog' | 'tokenBucket' | 'leakyBucket';
export const KINDS: readonly Kind[] = ['fixedWindow', 'slidingWindow', 'slidingLog', 'tokenBucket', 'leakyBucket'];

const isBucket = (kind: Kind): boolean => kind === 'tokenBucket' || kind === 'leakyBucket';

const limitArb = fc.integer({ min: 1, max: 6 });
const windowArb = fc.constantFrom(7, 10, 1000);
/** Rates whose interval is a whole number of ms (ticksPerMs 1): 1000, 400, 250, 600, 1 ms. */
const wholeRateArb = fc.constantFrom(1, 2.5, 4, 100 / 60, 1000);
/** Rates counted in ticks finer than a ms: 3/s (ticksPerMs 3), 0.375/s (3), 7/s (7), 2000/s (2). */
const anyRateArb = fc.oneof(wholeRateArb, fc.constantFrom(3, 0.375, 7, 2000));

export function policyArb(kind: Kind, wholeRate = false): fc.Arbitrary<Policy> {
  const rate = wholeRate ? wholeRateArb : anyRateArb;
  switch (kind) {
    case 'fixedWindow':
      return fc.tuple(limitArb, windowArb).map(([limit, window]) => fixedWindow({ limit, window }));
    case 'slidingWindow':
      return fc.tuple(limitArb, windowArb).map(([limit, window]) => slidingWindow({ limit, window }));
    case 'slidingLog':
      return fc.tuple(limitArb, windowArb).map(([limit, window]) => slidingLog({ limit, window }));
    case 'tokenBucket':
      return fc.tuple(limitArb, rate).map(([capacity, refillPerSecond]) => tokenBucket({ capacity, refillPerSecond }));
    case 'leakyBucket':
      return fc.tuple(limitArb, rate).map(([capacity, leakPerSecond]) => leakyBucket({ capacity, leakPerSecond }));
  }
}

/** A request: `dt` ms after the previous one, of `cost` (capped at the limit). */
interface Request {
  dt: number;
  cost: number;
}
const dtArb = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 3 }) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 15 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 2500 }) },
);
const costArb = fc.oneof({ weight: 2, arbitrary: fc.constant(1) }, fc.integer({ min: 1, max: 6 }));
const requestArb: fc.Arbitrary<Request> = fc.record({ dt: dtArb, cost: costArb });
const requestsArb = (max: number) => fc.array(requestArb, { maxLength: max });
/** Later requests and peeks, compared between worlds. */
const probeArb = fc.array(fc.record({ dt: dtArb, cost: costArb, peek: fc.boolean() }), {
  minLength: 1,
  maxLength: 12,
});
// Instants before, at and after TICK_EPOCH_MS, window-aligned or not.
const startArb: fc.Arbitrary<number> = fc.constantFrom(1_767_225_600_000, 1_767_225_599_999, 1_900_000_000_123);

/** A world: one limiter with its own keys on the shared store, on the shared clock. */
interface World {
  limit(cost: number): Promise<Decision>;
  peek(): Promise<Decision>;
  refund(cost: number, decision?: Decision): Promise<void>;
}

export interface RefundContext {
  store: () => Store;
  /** A fresh prefix per world, so worlds never share keys on a shared store. */
  prefix: () => string;
  numRuns: number;
}

function worlds(context: RefundContext, policy: Policy, clock: () => number, count: number): World[] {
  const store = context.store();
  return Array.from({ length: count }, () => {
    const limiter = new RateLimiter({
      policy,
      store,
      clock,
      prefix: context.prefix(),
      onStoreError: 'throw',
      timeoutMs: Number.POSITIVE_INFINITY,
    });
    return {
      limit: (cost) => limiter.limit('k', { cost: Math.min(cost, policy.limit) }),
      peek: () => limiter.peek('k'),
      refund: (cost, decision) =>
        limiter.refund(
          'k',
          decision === undefined
            ? { cost: Math.min(cost, policy.limit) }
            : { cost: Math.min(cost, policy.limit), decision },
        ),
    };
  });
}

/** Replays the same probes on every world and asserts they decide alike. */
async function sameProbes(
  ws: readonly World[],
  probes: readonly { dt: number; cost: number; peek: boolean }[],
  advance: (dt: number) => number,
  what: string,
): Promise<void> {
  for (const [i, probe] of probes.entries()) {
    const now = advance(probe.dt);
    const decided = [];
    for (const w of ws) decided.push(probe.peek ? await w.peek() : await w.limit(probe.cost));
    for (const d of decided.slice(1))
      assert.deepEqual(d, decided[0], `${what}: probe ${i} at ${now} ${JSON.stringify(probe)}`);
  }
}

/** The property of one kind's exactness (see the file's comment). */
export function exactProperty(context: RefundContext, kind: Kind): fc.IAsyncProperty<unknown[]> {
  return fc.asyncProperty(
    policyArb(kind, true),
    startArb,
    requestsArb(6),
    requestArb,
    isBucket(kind) ? fc.constant<Request[]>([]) : requestsArb(5),
    dtArb,
    probeArb,
    async (policy, start, prefix, request, middle, refundDt, probes) => {
      let now = start;
      const advance = (dt: number): number => {
        now += dt;
        return now;
      };
      const [refunded, never] = worlds(context, policy, () => now, 2) as [World, World];
      for (const r of prefix) {
        advance(r.dt);
        assert.deepEqual(await refunded.limit(r.cost), await never.limit(r.cost));
      }
      advance(request.dt);
      const admitted = await refunded.limit(request.cost);
      for (const [i, r] of middle.entries()) {
        advance(r.dt);
        const d = await refunded.limit(r.cost);
        // The world without the request has at least as much room: what was admitted here is admitted there.
        if (d.allowed) assert.equal((await never.limit(r.cost)).allowed, true, `middle ${i} at ${now}`);
      }
      advance(refundDt);
      await refunded.refund(Math.min(request.cost, policy.limit), admitted);
      await sameProbes([refunded, never], probes, advance, `${policy.algorithm} ${JSON.stringify(policy.params)}`);
    },
  );
}

/** Buckets, any rate, admissions in between: never more room than without the request, never less than unrefunded. */
export function bucketNeverMoreProperty(context: RefundContext, kind: 'tokenBucket' | 'leakyBucket') {
  return fc.asyncProperty(
    policyArb(kind),
    startArb,
    requestsArb(6),
    requestArb,
    requestsArb(5),
    dtArb,
    fc.array(dtArb, { minLength: 1, maxLength: 8 }),
    async (policy, start, prefix, request, middle, refundDt, probeDts) => {
      let now = start;
      const [refunded, never, kept] = worlds(context, policy, () => now, 3) as [World, World, World];
      for (const r of prefix) {
        now += r.dt;
        const d = await refunded.limit(r.cost);
        assert.deepEqual(await never.limit(r.cost), d);
        assert.deepEqual(await kept.limit(r.cost), d);
      }
      now += request.dt;
      const admitted = await refunded.limit(request.cost);
      assert.deepEqual(await kept.limit(request.cost), admitted);
      for (const r of middle) {
        now += r.dt;
        const d = await refunded.limit(r.cost);
        assert.deepEqual(await kept.limit(r.cost), d);
        if (d.allowed) assert.equal((await never.limit(r.cost)).allowed, true);
      }
      now += refundDt;
      await refunded.refund(Math.min(request.cost, policy.limit), admitted);
      for (const dt of probeDts) {
        now += dt;
        const [r, n, k] = [await refunded.peek(), await never.peek(), await kept.peek()];
        const what = `at ${now}: refunded ${JSON.stringify(r)}, never ${JSON.stringify(n)}, kept ${JSON.stringify(k)}`;
        // Each field is monotone in the room a bucket has (resetMs only among peeks decided alike:
        // an admitted peek's counts its own request).
        assert.ok((!k.allowed || r.allowed) && (!r.allowed || n.allowed), what);
        assert.ok(k.remaining <= r.remaining && r.remaining <= n.remaining, what);
        assert.ok(k.retryAfterMs >= r.retryAfterMs && r.retryAfterMs >= n.retryAfterMs, what);
        if (k.allowed === n.allowed) assert.ok(n.resetMs <= r.resetMs && r.resetMs <= k.resetMs, what);
      }
    },
  );
}

type Op =
  | { op: 'limit'; dt: number; cost: number }
  | { op: 'refund'; dt: number; cost: number; ref: number | undefined; corrupt: 'none' | 'degraded' };

const opsArb: fc.Arbitrary<Op[]> = fc.array(
  fc.oneof(
    { weight: 3, arbitrary: fc.record({ op: fc.constant('limit' as const), dt: dtArb, cost: costArb }) },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant('refund' as const),
        dt: dtArb,
        cost: costArb,
        ref: fc.option(fc.oneof(fc.nat(2), fc.nat()), { nil: undefined, freq: 4 }),
        corrupt: fc.constantFrom('none' as const, 'none' as const, 'degraded' as const),
      }),
    },
  ),
  { minLength: 1, maxLength: 40 },
);

/** The window index an instant falls in. */
const windowOf = (t: number, windowMs: number): number => Math.floor(t / windowMs);

/**
 * No window admits more than its limit plus what refunds aimed at it gave
 * back; no refund leaves more room than a new key has; a burst at the end
 * admits at most the limit.
 */
export function boundedProperty(context: RefundContext, kind: Kind) {
  return fc.asyncProperty(policyArb(kind), startArb, opsArb, async (policy, start, ops) => {
    let now = start;
    const [world] = worlds(context, policy, () => now, 1) as [World];
    const decisions: Decision[] = [];
    const admissions: { t: number; cost: number }[] = [];
    /** Refunds that may give something back: `target` is the admission's instant, NaN for "the latest". */
    const refunds: { t: number; cost: number; target: number }[] = [];
    const fresh = policy.limit - 1;
    for (const [i, op] of ops.entries()) {
      now += op.dt;
      const cost = Math.min(op.cost, policy.limit);
      if (op.op === 'limit') {
        const d = await world.limit(cost);
        decisions.push(d);
        if (d.allowed) admissions.push({ t: now, cost });
        continue;
      }
      const picked =
        op.ref === undefined || decisions.length === 0
          ? undefined
          : decisions[decisions.length - 1 - (op.ref % decisions.length)];
      const decision = picked !== undefined && op.corrupt === 'degraded' ? { ...picked, degraded: true } : picked;
      await world.refund(cost, decision);
      if (decision === undefined) refunds.push({ t: now, cost, target: Number.NaN });
      else if (decision.allowed && !decision.degraded) refunds.push({ t: now, cost, target: decision.atMs });
      const peeked = await world.peek();
      assert.ok(peeked.remaining <= fresh, `op ${i} at ${now}: more room than a new key: ${JSON.stringify(peeked)}`);
    }
    const aims = (r: { target: number }, from: number, to: number): boolean =>
      Number.isNaN(r.target) || (r.target >= from && r.target <= to);
    const sum = (xs: readonly { cost: number }[]): number => xs.reduce((total, x) => total + x.cost, 0);
    const W = policy.windowMs;
    switch (kind) {
      case 'fixedWindow': {
        for (const w of new Set(admissions.map((a) => windowOf(a.t, W)))) {
          const [from, to] = [w * W, (w + 1) * W - 1];
          const admitted = sum(admissions.filter((a) => windowOf(a.t, W) === w));
          const back = sum(refunds.filter((r) => windowOf(r.t, W) === w && aims(r, from, to)));
          assert.ok(
            admitted <= policy.limit + back,
            `window ${w}: ${admitted} admitted, limit ${policy.limit}, ${back} refunded`,
          );
        }
        break;
      }
      case 'slidingLog': {
        for (const { t } of admissions) {
          const inWindow = (x: number): boolean => x > t - W && x <= t;
          const admitted = sum(admissions.filter((a) => inWindow(a.t)));
          const back = sum(refunds.filter((r) => inWindow(r.t) && aims(r, t - W + 1, t)));
          assert.ok(admitted <= policy.limit + back, `(${t - W}, ${t}]: ${admitted} admitted, ${back} refunded`);
        }
        break;
      }
      case 'slidingWindow': {
        for (const { t } of admissions) {
          const w = windowOf(t, W);
          const elapsed = t - w * W;
          const previous = sum(admissions.filter((a) => windowOf(a.t, W) === w - 1));
          const current = sum(admissions.filter((a) => windowOf(a.t, W) === w && a.t <= t));
          const backPrevious = sum(
            refunds.filter((r) => r.t >= (w - 1) * W && r.t <= t && aims(r, (w - 1) * W, w * W - 1)),
          );
          const backCurrent = sum(refunds.filter((r) => r.t >= w * W && r.t <= t && aims(r, w * W, t)));
          // previous * (W - elapsed) / W + current <= limit, what was refunded from each added back, times W.
          assert.ok(
            previous * (W - elapsed) + current * W <= policy.limit * W + backPrevious * (W - elapsed) + backCurrent * W,
            `at ${t}: previous ${previous} (-${backPrevious}), current ${current} (-${backCurrent})`,
          );
        }
        break;
      }
      default: {
        // GCRA: in ticks, what [s, t] admits is at most the capacity, plus what drained, plus what was refunded.
        const [capacity, ticksPerMs, intervalTicks] = policy.params as [number, number, number];
        for (const s of admissions) {
          for (const e of admissions) {
            if (e.t < s.t) continue;
            const admitted = sum(admissions.filter((a) => a.t >= s.t && a.t <= e.t));
            const back = sum(refunds.filter((r) => r.t >= s.t && r.t <= e.t));
            assert.ok(
              admitted * intervalTicks <= capacity * intervalTicks + (e.t - s.t) * ticksPerMs + back * intervalTicks,
              `[${s.t}, ${e.t}]: ${admitted} admitted, ${back} refunded`,
            );
          }
        }
      }
    }
    // Never below empty: a burst now admits at most the limit.
    let burst = 0;
    for (let i = 0; i <= policy.limit; i++) if ((await world.limit(1)).allowed) burst++;
    assert.ok(burst <= policy.limit, `a burst admitted ${burst} of limit ${policy.limit}`);
  });
}

/** The instant from which an admission's units count nowhere (its window rolled over, its work drained). */
function rolledOver(kind: Kind, policy: Policy, admitted: Decision): number {
  const W = policy.windowMs;
  switch (kind) {
    case 'fixedWindow':
      return (windowOf(admitted.atMs, W) + 1) * W;
    case 'slidingWindow':
      return (windowOf(admitted.atMs, W) + 2) * W;
    case 'slidingLog':
      return admitted.atMs + W;
    default:
      return admitted.atMs + admitted.resetMs;
  }
}

/** A refund made once the admission's window rolled over changes nothing. */
export function rolledOverProperty(context: RefundContext, kind: Kind) {
  return fc.asyncProperty(
    policyArb(kind),
    startArb,
    requestsArb(4),
    requestArb,
    requestsArb(5),
    fc.nat(30),
    probeArb,
    async (policy, start, prefix, request, middle, late, probes) => {
      let now = start;
      const advance = (dt: number): number => {
        now += dt;
        return now;
      };
      const ws = worlds(context, policy, () => now, 2);
      const [refunded] = ws as [World];
      const everywhere = async (cost: number): Promise<Decision> => {
        const [d, ...others] = await Promise.all(ws.map((w) => w.limit(cost)));
        for (const other of others) assert.deepEqual(other, d);
        return d as Decision;
      };
      for (const r of prefix) {
        advance(r.dt);
        await everywhere(r.cost);
      }
      advance(request.dt);
      const admitted = await everywhere(request.cost);
      for (const r of middle) {
        advance(r.dt);
        await everywhere(r.cost);
      }
      now = Math.max(now, rolledOver(kind, policy, admitted) + late);
      await refunded.refund(Math.min(request.cost, policy.limit), admitted);
      await sameProbes(ws, probes, advance, `refund at ${now} of ${JSON.stringify(admitted)}`);
    },
  );
}

/** Refunding a denied or a degraded decision changes nothing. */
export function nothingSpentProperty(context: RefundContext, kind: Kind) {
  return fc.asyncProperty(
    policyArb(kind),
    startArb,
    requestsArb(8),
    fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
    probeArb,
    async (policy, start, requests, picks, probes) => {
      let now = start;
      const advance = (dt: number): number => {
        now += dt;
        return now;
      };
      const ws = worlds(context, policy, () => now, 2);
      const [refunded] = ws as [World];
      const decided: Decision[] = [];
      for (const r of requests) {
        advance(r.dt);
        const [d, other] = await Promise.all(ws.map((w) => w.limit(r.cost)));
        assert.deepEqual(other, d);
        decided.push(d as Decision);
      }
      // Always a denial to refund, and degraded copies of admissions.
      decided.push(
        await Promise.all(
          ws.map(async (w) => {
            let d = await w.limit(policy.limit);
            while (d.allowed) d = await w.limit(policy.limit);
            return d;
          }),
        ).then(([d]) => d as Decision),
      );
      for (const pick of picks) {
        const d = decided[pick % decided.length] as Decision;
        await refunded.refund(policy.limit, d.allowed ? { ...d, degraded: true } : d);
      }
      await sameProbes(ws, probes, advance, 'after refunds of denied and degraded decisions');
    },
  );
}

/** A refund without a decision, of no more than the latest admission spent, is the refund of that admission. */
export function latestProperty(context: RefundContext, kind: Kind) {
  return fc.asyncProperty(
    policyArb(kind, true),
    startArb,
    requestsArb(6),
    requestArb,
    dtArb,
    costArb,
    probeArb,
    async (policy, start, prefix, request, refundDt, refundCost, probes) => {
      let now = start;
      const advance = (dt: number): number => {
        now += dt;
        return now;
      };
      const ws = worlds(context, policy, () => now, 2);
      const [withDecision, without] = ws as [World, World];
      for (const r of prefix) {
        advance(r.dt);
        const [d, other] = await Promise.all(ws.map((w) => w.limit(r.cost)));
        assert.deepEqual(other, d);
      }
      advance(request.dt);
      // The key's latest admission.
      const [latest, other] = await Promise.all(ws.map((w) => w.limit(request.cost)));
      assert.deepEqual(other, latest);
      fc.pre(latest?.allowed === true);
      advance(refundDt);
      await withDecision.refund(refundCost, latest);
      // Without the decision the store cannot know what that admission spent:
      // a refund of no more than it spent is the same refund.
      await without.refund(Math.min(refundCost, (latest as Decision).spent));
      await sameProbes(ws, probes, advance, `refund of ${JSON.stringify(latest)} with and without it`);
    },
  );
}

type SetOp =
  | { op: 'limit'; dt: number; cost: number; keys: readonly string[] }
  | { op: 'peek'; dt: number; keys: readonly string[] }
  | { op: 'refund'; dt: number; cost: number; keys: readonly string[]; ref: number | undefined };

const setKeysArb = fc.array(fc.constantFrom('a', 'a', 'b'), { minLength: 4, maxLength: 4 });
const setOpsArb: fc.Arbitrary<SetOp[]> = fc.array(
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({ op: fc.constant('limit' as const), dt: dtArb, cost: costArb, keys: setKeysArb }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('peek' as const), dt: dtArb, keys: setKeysArb }) },
    {
      weight: 3,
      arbitrary: fc.record({
        op: fc.constant('refund' as const),
        dt: dtArb,
        cost: costArb,
        keys: setKeysArb,
        ref: fc.option(fc.oneof(fc.nat(2), fc.nat()), { nil: undefined, freq: 4 }),
      }),
    },
  ),
  { minLength: 1, maxLength: 30 },
);

/**
 * A refund on a set gives back each limit its own part: a set and one
 * single-policy limiter per limit, fed the same admissions and the same
 * refunds (each single limiter with its own decision of that admission), stay
 * in the same state: every admission's own decisions, and every peek where a
 * limit's own decision is comparable, agree.
 */
export function setRefundProperty(context: RefundContext) {
  return fc.asyncProperty(setArb, startArb, setOpsArb, async (defs: LimitDef[], start, ops) => {
    let now = start;
    const clock = (): number => now;
    const store = context.store();
    const set = new RateLimiter({
      limits: limitsOption(defs),
      store,
      clock,
      prefix: context.prefix(),
      onStoreError: 'throw',
      timeoutMs: Number.POSITIVE_INFINITY,
    });
    const singles = defs.map(
      (def) =>
        new RateLimiter({
          policy: def.policy,
          store,
          clock,
          prefix: context.prefix(),
          onStoreError: 'throw',
          timeoutMs: Number.POSITIVE_INFINITY,
        }),
    );
    const smallest = Math.min(...defs.map((def) => def.policy.limit));
    const record = (keys: readonly string[]) => Object.fromEntries(defs.map((def, i) => [def.name, keys[i] as string]));
    const history: { keys: readonly string[]; set: SetDecision; singles: (Decision | undefined)[] }[] = [];
    for (const [i, op] of ops.entries()) {
      now += op.dt;
      const what = `op ${i} at ${now}: ${JSON.stringify(op)}`;
      if (op.op === 'limit') {
        const cost = Math.min(op.cost, smallest);
        const d = await set.limit(record(op.keys), { cost });
        const own: (Decision | undefined)[] = [];
        for (const [j, def] of defs.entries()) {
          if (!d.allowed) {
            own.push(undefined);
            continue;
          }
          // Admitted: each limit decided (and spent, if it admitted) exactly as alone.
          const alone = await (singles[j] as RateLimiter).limit(op.keys[j] as string, { cost });
          assert.deepEqual(d.limits[def.name], alone, `${what}: ${def.name}`);
          own.push(alone);
        }
        history.push({ keys: op.keys, set: d, singles: own });
      } else if (op.op === 'peek') {
        const d = await set.peek(record(op.keys));
        for (const [j, def] of defs.entries()) {
          const mine = d.limits[def.name] as Decision;
          // On a denied set a limit that would admit reports its state at cost 0: not a peek.
          if (d.allowed || !mine.allowed) {
            assert.deepEqual(
              mine,
              await (singles[j] as RateLimiter).peek(op.keys[j] as string),
              `${what}: ${def.name}`,
            );
          }
        }
      } else {
        const cost = Math.min(op.cost, smallest);
        const h =
          op.ref === undefined || history.length === 0
            ? undefined
            : history[history.length - 1 - (op.ref % history.length)];
        if (h === undefined) {
          await set.refund(record(op.keys), { cost });
          for (const [j, single] of singles.entries()) await single.refund(op.keys[j] as string, { cost });
        } else {
          await set.refund(record(h.keys), { cost, decision: h.set });
          for (const [j, def] of defs.entries()) {
            const alone = h.singles[j];
            if (alone !== undefined && (h.set.limits[def.name] as Decision).allowed) {
              await (singles[j] as RateLimiter).refund(h.keys[j] as string, { cost, decision: alone });
            }
          }
        }
      }
    }
  });
}
