import assert from 'node:assert/strict';
import type { Decision, RateLimiter } from '../../src/index.js';

/** A decision's numbers and verdict, without what only one store can say (degraded, the set's parts). */
export function decisionFields(d: Decision): Omit<Decision, 'limits' | 'degraded' | 'violated'> {
  const { allowed, limit, remaining, resetMs, retryAfterMs, delayMs, atMs, spent } = d;
  return { allowed, limit, remaining, resetMs, retryAfterMs, delayMs, atMs, spent };
}

/**
 * The next decisions on `key` (costs 1, 2, 3, 4, 1, then a peek when `peek`)
 * are exactly `memory`'s: the two limiters hold the same state for it.
 */
export async function sameAsMemory(
  store: RateLimiter,
  memory: RateLimiter,
  key: string,
  { peek = false }: { peek?: boolean } = {},
): Promise<void> {
  for (const cost of [1, 2, 3, 4, 1]) {
    assert.deepEqual(
      decisionFields(await store.limit(key, { cost })),
      decisionFields(await memory.limit(key, { cost })),
      `cost ${cost}`,
    );
  }
  if (peek) assert.deepEqual(decisionFields(await store.peek(key)), decisionFields(await memory.peek(key)));
}
