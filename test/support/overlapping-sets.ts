/**
 * Overlapping limit sets for the concurrency tests: 8 users, each in one of 2
 * orgs, all under one global key. The user limits never bind, each org's
 * binds at 300, the global one at 500: with at least 300 requests per org,
 * exactly 500 are admitted whatever the interleaving (min(500, 300 + 300)),
 * each org's share is at most 300, and every unit counted anywhere belongs to
 * an admitted request. A fixed instant: no window rolls over, no bucket refills.
 */
import { fixedWindow, slidingLog, tokenBucket } from '../../src/index.js';

export const OVERLAPPING_LIMITS = {
  user: fixedWindow({ limit: 10_000, window: '1h' }),
  org: slidingLog({ limit: 300, window: '1h' }),
  global: tokenBucket({ capacity: 500, refillPerSecond: 1 / 3600 }),
};
export const USERS = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7'] as const;
export const GLOBAL_LIMIT = 500;
export const ORG_LIMIT = 300;
export const USER_LIMIT = 10_000;

export function orgOf(user: string): string {
  return Number(user.slice(1)) < 4 ? 'acme' : 'beta';
}

/** The keys of request number `n` (users in turn). */
export function requestKeys(n: number): { user: string; org: string; global: string } {
  const user = USERS[n % USERS.length] as string;
  return { user, org: orgOf(user), global: 'all' };
}
