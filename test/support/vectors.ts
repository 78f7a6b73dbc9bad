/**
 * Decision vectors: hand-computed expectations, one JSON file per policy in
 * test/vectors/, replayed against every store with one harness (as
 * uber-go/ratelimit `runTest` covers every implementation).
 *
 * `atMs` is milliseconds after {@link VECTOR_EPOCH_MS} (2026-01-01T00:00Z), an
 * instant aligned to every window that divides a day (and to 7 s), so window
 * boundaries in the files are round numbers and bucket ticks start at 0.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Decision,
  fixedWindow,
  leakyBucket,
  type Policy,
  type RateLimiter,
  slidingLog,
  slidingWindow,
  tokenBucket,
} from '../../src/index.js';

/** The clock origin of every vector: `TICK_EPOCH_MS`, 2026-01-01T00:00:00Z. */
export const VECTOR_EPOCH_MS = 1_767_225_600_000;

export interface VectorStep {
  /** Milliseconds after {@link VECTOR_EPOCH_MS}. */
  atMs: number;
  cost: number;
  /** @default 'k' */
  key?: string;
  /** A `peek(key)` instead of `limit(key, { cost })` (cost is then 1). */
  peek?: boolean;
  allowed: boolean;
  remaining: number;
  resetMs: number;
  retryAfterMs: number;
  delayMs: number;
}

export interface VectorCase {
  name: string;
  factory: 'fixedWindow' | 'slidingLog' | 'slidingWindow' | 'tokenBucket' | 'leakyBucket';
  options: Record<string, unknown>;
  steps: VectorStep[];
}

export const VECTOR_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'vectors');

/** The vector file of limit sets: another shape, replayed by test/support/set-vectors.ts. */
export const SET_VECTOR_FILE = 'limit-sets.json';

/** Every per-policy vector file in test/vectors/, by file name. */
export function loadVectors(): { file: string; cases: VectorCase[] }[] {
  return readdirSync(VECTOR_DIR)
    .filter((name) => name.endsWith('.json') && name !== SET_VECTOR_FILE)
    .sort()
    .map((file) => {
      const parsed = JSON.parse(readFileSync(join(VECTOR_DIR, file), 'utf8')) as { cases: VectorCase[] };
      return { file, cases: parsed.cases };
    });
}

/** The policy a case describes. */
export function policyOf(c: VectorCase): Policy {
  // The files hold plain JSON; the factories validate it.
  const options = c.options as never;
  switch (c.factory) {
    case 'fixedWindow':
      return fixedWindow(options);
    case 'slidingLog':
      return slidingLog(options);
    case 'slidingWindow':
      return slidingWindow(options);
    case 'tokenBucket':
      return tokenBucket(options);
    case 'leakyBucket':
      return leakyBucket(options);
    default:
      throw new Error(`unknown factory ${String((c as { factory: unknown }).factory)} in vector case ${c.name}`);
  }
}

/** The fields a vector pins down, in a stable order for readable diffs. */
function observed(d: Decision): Omit<VectorStep, 'atMs' | 'cost' | 'key' | 'peek'> {
  return {
    allowed: d.allowed,
    remaining: d.remaining,
    resetMs: d.resetMs,
    retryAfterMs: d.retryAfterMs,
    delayMs: d.delayMs,
  };
}

/**
 * A clock origin equivalent to {@link VECTOR_EPOCH_MS} (a whole number of weeks
 * later, so aligned to every window the vectors use) that lies ahead of any
 * real clock for years: the Redis store's expiry encoding writes absolute
 * expiries on the server's clock, so replaying it at fixed instants needs
 * instants that the server has not reached.
 */
export const FUTURE_EPOCH_MS = VECTOR_EPOCH_MS + 520 * 604_800_000;

/**
 * Replays every step through a limiter made by makeLimiter and asserts each field.
 * The clock passed to `makeLimiter` reads the current step's instant, counted from `epochMs`.
 */
export async function replayCase(
  c: VectorCase,
  makeLimiter: (policy: Policy, clock: () => number) => RateLimiter,
  epochMs = VECTOR_EPOCH_MS,
): Promise<void> {
  const policy = policyOf(c);
  let now = epochMs;
  const limiter = makeLimiter(policy, () => now);
  for (const [i, step] of c.steps.entries()) {
    now = epochMs + step.atMs;
    const key = step.key ?? 'k';
    const d = step.peek ? await limiter.peek(key) : await limiter.limit(key, { cost: step.cost });
    const what = `${c.factory} "${c.name}" step ${i} (${step.peek ? 'peek' : `cost ${step.cost}`} on ${key} at ${step.atMs} ms)`;
    assert.equal(d.limit, policy.limit, `${what}: limit`);
    assert.equal(d.degraded, false, `${what}: degraded`);
    assert.deepEqual(
      observed(d),
      {
        allowed: step.allowed,
        remaining: step.remaining,
        resetMs: step.resetMs,
        retryAfterMs: step.retryAfterMs,
        delayMs: step.delayMs,
      },
      what,
    );
  }
}
