/**
 * Attack on the sliding log's carried fields (the newest entry's
 * `time:cumulative:oldest:base`): random traces of admissions (costs above 1,
 * per-limit costs in a set), peeks, resets and refunds (partial, whole, of an
 * old decision whose entries an admission trimmed since, of the key's latest
 * admission), some of them sent together (one script call), with the clock
 * stepping forward within a window, across many windows, and back, decided on
 * Redis and in memory: every decision must be the same. Three shapes: one
 * limit; a set of two logs with different windows (two keys); a set whose two
 * limits share one log (SHARED_STATE, as `flowgate serve` names them) beside
 * the one-policy limiter naming the same key. Between steps, the lists on
 * Redis are now and then rewritten as an earlier flowgate wrote them (no
 * carried fields) or with other digits in every carried field but the
 * newest's (which no decision may read), then extended by this one. The
 * pinned example is a505dce's: a refund of the whole newest entry after a
 * trim, then a clock behind it (random traces find it only every ~10k runs).
 *
 * The clock steps back at most RECLAIM_MARGIN_MS below the latest instant
 * seen: further back, memory may have reclaimed a key whose log Redis still
 * holds (DESIGN: state is kept for a clock that steps back by the margin).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  type Decision,
  MemoryStore,
  type Policy,
  RateLimiter,
  type SetDecision,
  type Store,
  slidingLog,
} from '../../src/index.js';
import { SHARED_STATE } from '../../src/limiter-options.js';
import { RECLAIM_MARGIN_MS } from '../../src/stores/memory.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { CLIENT_KINDS } from '../support/redis-clients.js';
import { redisFixture } from '../support/redis-fixture.js';
import { decisionFields } from '../support/same-as-memory.js';

const db = redisFixture();
const T0 = 1_900_000_000_123;

type Shape = 'one' | 'two windows' | 'shared log';

type Op =
  | { op: 'limit'; key: string; cost: number; costB: number; lone: boolean }
  | { op: 'peek'; key: string }
  | { op: 'reset'; key: string }
  /** Refund of decision `of` (counted back from the latest one on the key; -1: none, the key's latest admission). */
  | { op: 'refund'; key: string; of: number; cost: number; costB: number };

const keyArb = fc.constantFrom('a', 'b');
const unitArb = fc.oneof({ weight: 3, arbitrary: fc.constant(1) }, fc.integer({ min: 0, max: 9 }));
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('limit' as const),
      key: keyArb,
      cost: unitArb,
      costB: unitArb,
      lone: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('peek' as const), key: keyArb }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('reset' as const), key: keyArb }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('refund' as const),
      key: keyArb,
      // Mostly the latest admission (its decision, or none): the refund that can empty the newest entry.
      of: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(-1, 0) }, fc.integer({ min: 1, max: 6 })),
      cost: unitArb,
      costB: unitArb,
    }),
  },
);
// Within the window, across a few, across many; and back (at most the reclaim margin, mostly less than
// a window: behind a refunded newest entry, to where the entry before it counts again).
const advanceArb = (windowMs: number) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: Math.max(1, Math.floor(windowMs / 3)) }) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: windowMs * 2 }) },
    { weight: 1, arbitrary: fc.integer({ min: windowMs * 3, max: windowMs * 40 }) },
    { weight: 2, arbitrary: fc.integer({ min: -Math.min(RECLAIM_MARGIN_MS, windowMs * 2), max: -1 }) },
  );
/**
 * Before a step, on Redis alone, every log's list rewritten as something flowgate may have written:
 * 'legacy', every entry without carried fields (an earlier flowgate's, or a refund's); 'scramble',
 * every entry but the newest with other carried fields (any digits: only the newest's are read).
 */
const rewriteArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  fc.record({
    how: fc.constantFrom('legacy' as const, 'scramble' as const),
    seed: fc.integer({ min: 1, max: 2 ** 30 }),
  }),
);
type Rewrite = { how: 'legacy' | 'scramble'; seed: number } | undefined;

const stepsArb = (windowMs: number) =>
  fc.array(
    fc.record({
      rewrite: rewriteArb,
      advanceMs: advanceArb(windowMs),
      ops: fc.oneof(
        { weight: 4, arbitrary: fc.array(opArb, { minLength: 1, maxLength: 1 }) },
        fc.array(opArb, { minLength: 2, maxLength: 5 }),
      ),
    }),
    { minLength: 1, maxLength: 30 },
  );
const configArb = fc.record({
  shape: fc.constantFrom<Shape>('one', 'two windows', 'shared log'),
  limitA: fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 10, max: 40 })),
  limitB: fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 10, max: 40 })),
  windowA: fc.constantFrom(7, 10, 100, 1000),
  windowB: fc.constantFrom(7, 10, 100, 1000),
});
type Config = typeof configArb extends fc.Arbitrary<infer C> ? C : never;

/** One world: the limiter(s) of a shape on a store, with the decisions made per key (for refunds). */
interface World {
  /** together: sent with other ops of its step, through the one limiter they share (order holds per limiter). */
  decide(op: Op, together: boolean): Promise<unknown>;
  /** Starts a step: the decisions its refunds sent together can name are those made before it. */
  begin(): void;
}

function world(config: Config, store: Store, clock: () => number, prefix: string): World {
  const { shape, limitA, limitB, windowA } = config;
  const windowB = shape === 'shared log' ? windowA : config.windowB;
  const common = {
    store,
    clock,
    prefix,
    onStoreError: 'throw' as const,
    timeoutMs: Number.POSITIVE_INFINITY,
    ...(shape === 'shared log' ? { [SHARED_STATE]: true } : {}),
  };
  const set =
    shape === 'one'
      ? undefined
      : new RateLimiter({
          ...common,
          limits: {
            a: slidingLog({ limit: limitA, window: windowA }),
            b: slidingLog({ limit: limitB, window: windowB }),
          },
        });
  const policy: Policy = slidingLog({ limit: limitA, window: windowA });
  // The one-policy limiter: its key is limit a's own only when the set shares state (shared log).
  const one = shape === 'two windows' ? undefined : new RateLimiter({ ...common, policy });
  const decisions = new Map<string, Decision[]>();
  const cap = (n: number, limit: number) => Math.min(n, limit);
  // At least one unit in some limit: a cost of 0 in every limit is not a request.
  const setCost = (op: { cost: number; costB: number }) => ({
    a: cap(op.cost === 0 && op.costB === 0 ? 1 : op.cost, limitA),
    b: cap(op.costB, limitB),
  });
  const oneCost = (n: number) => Math.max(1, cap(n, limitA));
  const useOne = (op: Op, together: boolean) =>
    set === undefined || (!together && one !== undefined && op.op === 'limit' && op.lone);
  let before = new Map<string, Decision[]>();
  return {
    begin() {
      before = new Map([...decisions].map(([key, list]) => [key, list.slice()]));
    },
    async decide(op, together) {
      const past = decisions.get(op.key) ?? [];
      decisions.set(op.key, past);
      switch (op.op) {
        case 'limit': {
          const d = useOne(op, together)
            ? await (one as RateLimiter).limit(op.key, { cost: oneCost(op.cost) })
            : await (set as RateLimiter<'a' | 'b'>).limit(op.key, { cost: setCost(op) });
          past.push(d);
          return d;
        }
        case 'peek':
          return set ? set.peek(op.key) : (one as RateLimiter).peek(op.key);
        case 'reset':
          return set ? set.reset(op.key) : (one as RateLimiter).reset(op.key);
        case 'refund': {
          const known = together ? (before.get(op.key) ?? []) : past;
          const decision = op.of < 0 ? undefined : known[known.length - 1 - op.of];
          if (op.of >= 0 && decision === undefined) return undefined;
          // A refund goes to the limiter that made the decision: a set's decision has per-limit parts.
          const isSet = decision !== undefined ? 'limits' in decision && decision.limits !== undefined : !one;
          // Sent together through the set, a one-policy decision's refund is the key's latest admission's.
          if (set && (isSet || together)) {
            return set.refund(op.key, { cost: setCost(op), ...(decision && isSet ? { decision } : {}) });
          }
          if (!one) return undefined;
          return one.refund(op.key, { cost: oneCost(op.cost), ...(decision ? { decision } : {}) });
        }
      }
    },
  };
}

/** Rewrites the lists of the run's logs on Redis (see rewriteArb). */
async function rewriteLogs(prefix: string, rewrite: Rewrite): Promise<void> {
  if (!rewrite) return;
  let seed = rewrite.seed;
  // A small deterministic generator (the step's seed): any digits, negative times, totals up to 2^53.
  const next = (bound: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return Math.floor((seed / 2 ** 31) * bound);
  };
  for (const key of await db.admin.keys(`*${prefix}*`)) {
    if ((await db.admin.type(key)) !== 'list') continue;
    const elements = await db.admin.lrange(key, 0, -1);
    for (const [i, element] of elements.entries()) {
      const [time, total] = element.split(':');
      const newest = i === elements.length - 1;
      let written: string;
      if (rewrite.how === 'legacy') written = `${time}:${total}`;
      else if (newest) continue;
      else
        written = `${time}:${total}:${next(3) === 0 ? '-' : ''}${next(2 ** 53)}:${next(2) === 0 ? next(10) : next(2 ** 53)}`;
      if (written !== element) await db.admin.lset(key, i, written);
    }
  }
}

/** A decision's fields, and with a set, each limit's and the violated names. */
function fields(d: unknown): unknown {
  if (d === undefined) return undefined;
  const decision = d as Decision | SetDecision<'a' | 'b'>;
  const limits = (decision as SetDecision<'a' | 'b'>).limits;
  return {
    ...decisionFields(decision),
    violated: (decision as SetDecision<'a' | 'b'>).violated,
    ...(limits ? { a: decisionFields(limits.a), b: decisionFields(limits.b) } : {}),
  };
}

let runs = 0;

for (const kind of CLIENT_KINDS)
  test(`sliding log on Redis (${kind}) decides as memory through refunds, trims, batches, clock jumps and steps back`, async () => {
    const redisStore = new RedisStore({ client: db.client(kind).client, expiryMarginMs: 86_400_000 });
    let checked = 0;
    await fc.assert(
      fc.asyncProperty(
        configArb.chain((config) => fc.tuple(fc.constant(config), stepsArb(config.windowA))),
        async ([config, steps]) => {
          let now = T0;
          let latest = T0;
          const clock = () => now;
          // (Ends in a letter: no run's prefix is the start of another's, for rewriteLogs' pattern.)
          const prefix = `slrd${runs++}x`;
          const redis = world(config, redisStore, clock, prefix);
          const memory = world(config, new MemoryStore(), clock, prefix);
          for (const [i, step] of steps.entries()) {
            now = Math.max(now + step.advanceMs, latest - RECLAIM_MARGIN_MS);
            latest = Math.max(latest, now);
            await rewriteLogs(prefix, step.rewrite);
            redis.begin();
            memory.begin();
            const remote = await Promise.all(step.ops.map((op) => redis.decide(op, step.ops.length > 1)));
            for (const [j, op] of step.ops.entries()) {
              const local = await memory.decide(op, step.ops.length > 1);
              assert.deepEqual(
                fields(remote[j]),
                fields(local),
                `step ${i} op ${j} at +${now - T0}: ${JSON.stringify(op)}`,
              );
              checked++;
            }
          }
        },
      ),
      {
        numRuns: Number(process.env.FG_PROPERTY_RUNS ?? 400),
        examples: [
          [
            [
              { shape: 'one', limitA: 3, limitB: 1, windowA: 10, windowB: 10 },
              [
                { rewrite: undefined, advanceMs: 0, ops: [{ op: 'limit', key: 'a', cost: 1, costB: 1, lone: true }] },
                { rewrite: undefined, advanceMs: 5, ops: [{ op: 'limit', key: 'a', cost: 1, costB: 1, lone: true }] },
                { rewrite: undefined, advanceMs: 7, ops: [{ op: 'limit', key: 'a', cost: 1, costB: 1, lone: true }] },
                { rewrite: undefined, advanceMs: 0, ops: [{ op: 'refund', key: 'a', of: 0, cost: 1, costB: 1 }] },
                { rewrite: undefined, advanceMs: -4, ops: [{ op: 'limit', key: 'a', cost: 1, costB: 1, lone: true }] },
              ],
            ],
          ],
        ],
      },
    );
    assert.ok(checked > 1500);
  });
