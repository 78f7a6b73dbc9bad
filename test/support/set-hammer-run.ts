/**
 * Runs the overlapping-sets hammer (test/redis/fixtures/set-hammer.ts) in N
 * child processes at once and checks the outcome against what the limits
 * admit: exactly the global limit, each org within its limit, and (read back
 * through a limiter afterwards) every user's and org's count equal to the
 * requests admitted for it, so no denied request spent anything anywhere.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { RateLimiter, type Store } from '../../src/index.js';
import { GLOBAL_LIMIT, ORG_LIMIT, OVERLAPPING_LIMITS, orgOf, USER_LIMIT, USERS } from './overlapping-sets.js';
import type { ClientKind } from './redis-clients.js';

const run = promisify(execFile);
const HAMMER = join(dirname(fileURLToPath(import.meta.url)), '..', 'redis', 'fixtures', 'set-hammer.ts');

export async function hammerOverlappingSets(options: {
  /** A redis:// URL, or cluster:<port>,<port>,... */
  target: string;
  kinds: readonly ClientKind[];
  calls: number;
  prefix: string;
  hashTag: string | undefined;
  /** A store on the same server(s), to read the counts back. */
  store: Store;
}): Promise<void> {
  const instant = String(Date.now());
  const { kinds } = options;
  const outputs = await Promise.all(
    kinds.map((kind, i) =>
      run(
        process.execPath,
        [
          '--import',
          'tsx',
          HAMMER,
          options.target,
          kind,
          String(options.calls),
          instant,
          String(kinds.length),
          String(i),
          options.hashTag ?? '-',
          options.prefix,
        ],
        { timeout: 120_000 },
      ),
    ),
  );
  const byUser: Record<string, number> = {};
  const places: number[][] = [[], []];
  for (const { stdout } of outputs) {
    const reported = JSON.parse(stdout) as { admittedByUser: Record<string, number>; places: number[] };
    for (const [user, n] of Object.entries(reported.admittedByUser)) byUser[user] = (byUser[user] ?? 0) + n;
    for (const [i, place] of reported.places.entries()) places[i]?.push(place);
  }
  // Every process was at both barriers (one arrival each, released together): both halves started
  // with every process running, and the second only once every first half was decided.
  const all = kinds.map((_, i) => i + 1);
  for (const arrivals of places)
    assert.deepEqual(
      [...arrivals].sort((a, b) => a - b),
      all,
    );
  const byOrg: Record<string, number> = { acme: 0, beta: 0 };
  for (const [user, n] of Object.entries(byUser)) byOrg[orgOf(user)] = (byOrg[orgOf(user)] ?? 0) + n;
  assert.equal((byOrg.acme ?? 0) + (byOrg.beta ?? 0), GLOBAL_LIMIT, JSON.stringify(byOrg));
  assert.ok((byOrg.acme ?? 0) <= ORG_LIMIT && (byOrg.beta ?? 0) <= ORG_LIMIT, JSON.stringify(byOrg));
  // Read the state back: the set is denied (the global limit is spent), so every other limit
  // reports its state as it is (a cost-0 evaluation): remaining is the limit minus what it counted.
  const reader = new RateLimiter({
    limits: OVERLAPPING_LIMITS,
    store: options.store,
    clock: () => Number(instant),
    prefix: options.prefix,
    hashTag: options.hashTag,
    onStoreError: 'throw',
    timeoutMs: Number.POSITIVE_INFINITY,
  });
  for (const user of USERS) {
    const d = await reader.peek({ user, org: orgOf(user), global: 'all' });
    // An org that took its whole limit denies too.
    assert.deepEqual(d.violated, byOrg[orgOf(user)] === ORG_LIMIT ? ['org', 'global'] : ['global']);
    assert.equal(d.limits.user.remaining, USER_LIMIT - (byUser[user] ?? 0), `${user}'s count`);
    assert.equal(d.limits.org.remaining, ORG_LIMIT - (byOrg[orgOf(user)] ?? 0), `${orgOf(user)}'s count`);
    assert.equal(d.limits.global.remaining, 0);
  }
}
