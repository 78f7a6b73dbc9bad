/**
 * Limit sets against the exact reference model (test/support/reference-model.ts)
 * extended to sets from DESIGN.md: a set admits iff every enforced limit's
 * model admits; then each limit that admits (a shadow one too) commits; on a
 * denial nothing changes anywhere and a limit that would have admitted reports
 * its state as it is; a shadow limit never changes the outcome. Every field of
 * every decision is compared, `limits`, `violated` and `shadowDenied` included,
 * on random traces of random sets (2 to 4 limits of mixed algorithms, one key
 * for all or one per limit, costs, peeks) on MemoryStore.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type Decision, type LimitConfig, MemoryStore, type Policy, RateLimiter } from '../../src/index.js';
import {
  type ForkableModel,
  forkableModel,
  least,
  type Model,
  policyOf,
  type Spec,
  specs,
} from '../support/reference-model.js';
import { aggregate } from '../support/set-model.js';
import { VECTOR_EPOCH_MS } from '../support/vectors.js';

const NAMES = ['user', 'org', 'global', 'burst'] as const;

interface Member {
  spec: Spec;
  shadow: boolean;
}

const memberArb: fc.Arbitrary<Member> = fc.record({
  spec: fc.oneof(...Object.values(specs)),
  shadow: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
});
// Two or more: a set of one limit is test/limit-sets/one-limit-set.test.ts (it answers as a bare policy today).
const setArb = fc.array(memberArb, { minLength: 2, maxLength: 4 });

interface Step {
  dt: number;
  cost: number;
  peek: boolean;
  /** One key for every limit, or one per limit (by index). */
  keys: string | string[];
}

const stepArb: fc.Arbitrary<Step> = fc.record({
  dt: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5 }), fc.nat(1500)),
  cost: fc.nat(7),
  peek: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  keys: fc.oneof(fc.constantFrom('x', 'y'), fc.array(fc.constantFrom('x', 'y', 'z'), { minLength: 4, maxLength: 4 })),
});
const traceArb = fc.array(stepArb, { minLength: 1, maxLength: 25 });

/** A limit's decision for a request it denies (the state unchanged). */
function denial(m: Model, t: number, cost: number, policy: Policy, horizon: number): Decision {
  return {
    allowed: false,
    limit: policy.limit,
    remaining: Math.max(0, m.remaining(t)),
    resetMs: least((w) => m.isNew(t + w), horizon),
    retryAfterMs: least((w) => m.admits(t + w, cost), horizon),
    delayMs: 0,
    degraded: false,
    atMs: t,
    spent: 0,
  };
}

/** A limit's decision as it is (a cost-0 evaluation): what a limit that would have admitted reports when the set is denied. */
function unchanged(m: Model, t: number, policy: Policy, horizon: number): Decision {
  return {
    allowed: true,
    limit: policy.limit,
    remaining: Math.max(0, m.remaining(t)),
    resetMs: least((w) => m.isNew(t + w), horizon),
    retryAfterMs: 0,
    delayMs: 0,
    degraded: false,
    atMs: t,
    spent: 0,
  };
}

/** A limit's decision for a request it admits, committing it to `m`. */
function admission(m: Model, t: number, cost: number, spec: Spec, policy: Policy, horizon: number): Decision {
  const delayMs = spec.kind === 'leakyBucket' ? m.drainWaitAt(t) : 0;
  m.commit(t, cost);
  return {
    allowed: true,
    limit: policy.limit,
    remaining: m.remaining(t),
    resetMs: least((w) => m.isNew(t + w), horizon),
    retryAfterMs: 0,
    delayMs,
    degraded: false,
    atMs: t,
    spent: cost,
  };
}

test('limit sets agree with the reference model on every field of every decision', async () => {
  let checked = 0;
  await fc.assert(
    fc.asyncProperty(setArb, fc.nat(100_000), traceArb, async (members, start, steps) => {
      const names = members.map((_, i) => NAMES[i] as string);
      const policies = members.map((m) => policyOf(m.spec));
      const limits: Record<string, Policy | LimitConfig> = {};
      for (const [i, m] of members.entries()) {
        const policy = policies[i] as Policy;
        limits[names[i] as string] = m.shadow ? { policy, mode: 'shadow' } : policy;
      }
      let t = VECTOR_EPOCH_MS + start;
      const limiter = new RateLimiter({ limits, store: new MemoryStore(), clock: () => t });
      const smallest = Math.min(...policies.map((p) => p.limit));
      const horizons = policies.map((p) => 4 * p.windowMs + 10);
      const models = new Map<string, ForkableModel>();
      const modelOf = (i: number, key: string): ForkableModel => {
        const id = `${i}:${key}`;
        let m = models.get(id);
        if (m === undefined) {
          m = forkableModel((members[i] as Member).spec);
          models.set(id, m);
        }
        return m;
      };
      for (const [s, step] of steps.entries()) {
        t += step.dt;
        const cost = step.peek ? 1 : 1 + (step.cost % smallest);
        const keyOf = (i: number): string => (typeof step.keys === 'string' ? step.keys : (step.keys[i] as string));
        const keys = typeof step.keys === 'string' ? step.keys : Object.fromEntries(names.map((n, i) => [n, keyOf(i)]));
        const ms = members.map((_, i) => modelOf(i, keyOf(i)));
        const would = ms.map((m) => m.admits(t, cost));
        const all = members.every((m, i) => m.shadow || would[i]);
        const each = members.map((member, i) => {
          const m = ms[i] as ForkableModel;
          const policy = policies[i] as Policy;
          const horizon = horizons[i] as number;
          if (!would[i]) return denial(m, t, cost, policy, horizon);
          if (!all) return unchanged(m, t, policy, horizon);
          // A peek commits nothing: its decision is that of a cost-1 request on a copy, which spends nothing.
          if (step.peek) return { ...admission(m.fork(), t, cost, member.spec, policy, horizon), spent: 0 };
          return admission(m, t, cost, member.spec, policy, horizon);
        });
        const expected = aggregate(
          members.map((m, i) => ({ name: names[i] as string, shadow: m.shadow })),
          each,
        );
        const actual = step.peek ? await limiter.peek(keys) : await limiter.limit(keys, { cost });
        assert.deepEqual(
          actual,
          expected,
          `step ${s} at ${t}: ${step.peek ? 'peek' : `cost ${cost}`} on ${JSON.stringify(keys)}`,
        );
        checked++;
      }
    }),
    { numRuns: Number(process.env.FG_PROPERTY_RUNS ?? 150) },
  );
  assert.ok(checked > 500, `only ${checked} decisions checked`);
});

test('per-limit costs (a cost record) agree with the reference model: each limit admits its own cost, all or nothing', async () => {
  let checked = 0;
  let mixed = 0;
  const eachArb = fc.array(fc.nat(7), { minLength: 4, maxLength: 4 });
  const eachStepArb = fc.record({ step: stepArb, each: eachArb });
  await fc.assert(
    fc.asyncProperty(
      setArb,
      fc.nat(100_000),
      fc.array(eachStepArb, { minLength: 1, maxLength: 25 }),
      async (members, start, steps) => {
        const names = members.map((_, i) => NAMES[i] as string);
        const policies = members.map((m) => policyOf(m.spec));
        const limits: Record<string, Policy | LimitConfig> = {};
        for (const [i, m] of members.entries()) {
          const policy = policies[i] as Policy;
          limits[names[i] as string] = m.shadow ? { policy, mode: 'shadow' } : policy;
        }
        let t = VECTOR_EPOCH_MS + start;
        const limiter = new RateLimiter({ limits, store: new MemoryStore(), clock: () => t });
        const horizons = policies.map((p) => 4 * p.windowMs + 10);
        const models = new Map<string, ForkableModel>();
        const modelOf = (i: number, key: string): ForkableModel => {
          const id = `${i}:${key}`;
          let m = models.get(id);
          if (m === undefined) {
            m = forkableModel((members[i] as Member).spec);
            models.set(id, m);
          }
          return m;
        };
        for (const [s, { step, each }] of steps.entries()) {
          t += step.dt;
          // Each limit's own cost, from 0 (not counted) up to that limit's own limit.
          const costs = members.map((_, i) => (each[i] as number) % ((policies[i] as Policy).limit + 1));
          if (new Set(costs).size > 1) mixed++;
          const keyOf = (i: number): string => (typeof step.keys === 'string' ? step.keys : (step.keys[i] as string));
          const keys =
            typeof step.keys === 'string' ? step.keys : Object.fromEntries(names.map((n, i) => [n, keyOf(i)]));
          const ms = members.map((_, i) => modelOf(i, keyOf(i)));
          const would = ms.map((m, i) => m.admits(t, costs[i] as number));
          const all = members.every((m, i) => m.shadow || would[i]);
          const each_ = members.map((member, i) => {
            const m = ms[i] as ForkableModel;
            const policy = policies[i] as Policy;
            const horizon = horizons[i] as number;
            const cost = costs[i] as number;
            if (!would[i]) return denial(m, t, cost, policy, horizon);
            if (!all || cost === 0) return unchanged(m, t, policy, horizon);
            return admission(m, t, cost, member.spec, policy, horizon);
          });
          const expected = aggregate(
            members.map((m, i) => ({ name: names[i] as string, shadow: m.shadow })),
            each_,
          );
          const cost = Object.fromEntries(names.map((n, i) => [n, costs[i] as number]));
          const actual = await limiter.limit(keys, { cost });
          assert.deepEqual(
            actual,
            expected,
            `step ${s} at ${t}: cost ${JSON.stringify(cost)} on ${JSON.stringify(keys)}`,
          );
          checked++;
        }
      },
    ),
    { numRuns: Number(process.env.FG_PROPERTY_RUNS ?? 150) },
  );
  assert.ok(checked > 500, `only ${checked} decisions checked`);
  assert.ok(mixed > 300, `only ${mixed} requests with different costs per limit`);
});
