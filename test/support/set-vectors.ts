/**
 * Decision vectors of limit sets: hand-computed expectations in
 * test/vectors/limit-sets.json, replayed by one harness on every store (as
 * test/support/vectors.ts does for one policy). Each step pins every field of
 * the set's decision, `violated` and `shadowDenied` included, and every field
 * of each limit's own decision in `limits`; refund and reset steps have no
 * expectations of their own, the steps after them show what they did.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Decision, LimitConfig, Policy, RateLimiter, SetDecision } from '../../src/index.js';
import { policyOf, SET_VECTOR_FILE, VECTOR_DIR, VECTOR_EPOCH_MS, type VectorCase } from './vectors.js';

/** One limit of a case: a policy factory and its options, and optionally `mode: 'shadow'`. */
export interface SetLimitCase {
  factory: VectorCase['factory'];
  options: Record<string, unknown>;
  mode?: 'shadow';
}

/** What one limit's own decision must be (its `limit`, `degraded` and `atMs` are implied). */
export interface LimitExpectation {
  allowed: boolean;
  remaining: number;
  resetMs: number;
  retryAfterMs: number;
  delayMs: number;
}

export interface SetVectorStep {
  /** Milliseconds after the epoch of the replay (VECTOR_EPOCH_MS, or FUTURE_EPOCH_MS). */
  atMs: number;
  /** One key for every limit, or one per limit by name. */
  keys: string | Record<string, string>;
  /** limit(keys, { cost }) by default; refund(keys, { cost, decision }) with `refund`. */
  cost?: number;
  /** peek(keys) (cost 1). */
  peek?: boolean;
  /** refund(keys, { cost }) with, if `decisionOf` is set, the decision of that step (0-based). */
  refund?: boolean;
  decisionOf?: number;
  /** reset(keys). */
  reset?: boolean;
  allowed?: boolean;
  limit?: number;
  remaining?: number;
  resetMs?: number;
  retryAfterMs?: number;
  delayMs?: number;
  violated?: string[];
  /** Present exactly when the set has a shadow limit. */
  shadowDenied?: boolean;
  limits?: Record<string, LimitExpectation>;
}

export interface SetVectorCase {
  name: string;
  limits: Record<string, SetLimitCase>;
  steps: SetVectorStep[];
}

export function loadSetVectors(): SetVectorCase[] {
  const parsed = JSON.parse(readFileSync(join(VECTOR_DIR, SET_VECTOR_FILE), 'utf8')) as { cases: SetVectorCase[] };
  return parsed.cases;
}

/** The policy of one limit of a case. */
export function limitPolicy(limit: SetLimitCase): Policy {
  return policyOf({ name: '', factory: limit.factory, options: limit.options, steps: [] });
}

/** The `limits` option of a case, in the file's order. */
export function limitsOf(c: SetVectorCase): Record<string, Policy | LimitConfig> {
  const limits: Record<string, Policy | LimitConfig> = {};
  for (const [name, limit] of Object.entries(c.limits)) {
    const policy = limitPolicy(limit);
    limits[name] = limit.mode === undefined ? policy : { policy, mode: limit.mode };
  }
  return limits;
}

/** The whole decision a step expects at instant `now` (every limit decides at `now` on a forward clock). */
function expectedDecision(c: SetVectorCase, step: SetVectorStep, now: number, what: string): SetDecision {
  const names = Object.keys(c.limits);
  const own = step.limits;
  assert.ok(own !== undefined, `${what}: the step has no "limits"`);
  assert.deepEqual(Object.keys(own), names, `${what}: "limits" must name every limit, in order`);
  const limits: Record<string, Decision> = {};
  // An admitted limit() spends its cost in every limit that admits it; nothing else spends.
  const spends = step.peek !== true && step.allowed === true;
  for (const name of names) {
    const e = own[name] as LimitExpectation;
    limits[name] = {
      allowed: e.allowed,
      limit: limitPolicy(c.limits[name] as SetLimitCase).limit,
      remaining: e.remaining,
      resetMs: e.resetMs,
      retryAfterMs: e.retryAfterMs,
      delayMs: e.delayMs,
      degraded: false,
      atMs: now,
      spent: spends && e.allowed ? (step.cost ?? 1) : 0,
    };
  }
  const expected: SetDecision & { shadowDenied?: boolean } = {
    allowed: step.allowed as boolean,
    limit: step.limit as number,
    remaining: step.remaining as number,
    resetMs: step.resetMs as number,
    retryAfterMs: step.retryAfterMs as number,
    delayMs: step.delayMs as number,
    degraded: false,
    atMs: now,
    spent: spends ? (step.cost ?? 1) : 0,
    limits,
    violated: step.violated as string[],
  };
  const hasShadow = Object.values(c.limits).some((limit) => limit.mode === 'shadow');
  assert.equal(step.shadowDenied !== undefined, hasShadow, `${what}: "shadowDenied" iff the set has a shadow limit`);
  if (step.shadowDenied !== undefined) expected.shadowDenied = step.shadowDenied;
  for (const field of ['allowed', 'limit', 'remaining', 'resetMs', 'retryAfterMs', 'delayMs', 'violated'] as const) {
    assert.notEqual(step[field], undefined, `${what}: the step has no "${field}"`);
  }
  return expected;
}

/**
 * Replays every step of a case through a limiter made by `makeLimiter` and
 * asserts each decision whole. The clock passed to `makeLimiter` reads the
 * current step's instant, counted from `epochMs`.
 */
export async function replaySetCase(
  c: SetVectorCase,
  makeLimiter: (limits: Record<string, Policy | LimitConfig>, clock: () => number) => RateLimiter<string>,
  epochMs = VECTOR_EPOCH_MS,
): Promise<void> {
  let now = epochMs;
  const limiter = makeLimiter(limitsOf(c), () => now);
  const decisions: (SetDecision | undefined)[] = [];
  for (const [i, step] of c.steps.entries()) {
    now = epochMs + step.atMs;
    const op = step.refund ? 'refund' : step.reset ? 'reset' : step.peek ? 'peek' : `cost ${step.cost}`;
    const what = `"${c.name}" step ${i} (${op} on ${JSON.stringify(step.keys)} at ${step.atMs} ms)`;
    if (step.refund) {
      const decision = step.decisionOf === undefined ? undefined : decisions[step.decisionOf];
      assert.ok(
        step.decisionOf === undefined || decision !== undefined,
        `${what}: step ${step.decisionOf} decided nothing`,
      );
      await limiter.refund(step.keys, decision === undefined ? { cost: step.cost } : { cost: step.cost, decision });
      decisions.push(undefined);
      continue;
    }
    if (step.reset) {
      await limiter.reset(step.keys);
      decisions.push(undefined);
      continue;
    }
    const d = step.peek ? await limiter.peek(step.keys) : await limiter.limit(step.keys, { cost: step.cost as number });
    assert.deepEqual(d, expectedDecision(c, step, now, what), what);
    decisions.push(d);
  }
}
