/**
 * Regression: with `denialCache`, a refund or a reset through one set must
 * free the limits it shares with other sets. The cache remembers a denial per
 * list of keys; a refund or reset forgets only its own list, so a set denied
 * by a shared limit (an org, a global key) stayed denied from the cache until
 * its retryAfterMs, while the store would admit it: DESIGN.md has the cache
 * work per limit, and deny only what the store would deny.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixedWindow, RateLimiter } from '../../src/index.js';

function limiter() {
  return new RateLimiter({
    limits: { user: fixedWindow({ limit: 10, window: 1000 }), org: fixedWindow({ limit: 1, window: 1000 }) },
    denialCache: true,
    clock: () => 0,
  });
}

test('a refund through one user frees the org for another user', async () => {
  const l = limiter();
  const mine = await l.limit({ user: 'u1', org: 'acme' });
  assert.equal((await l.limit({ user: 'u2', org: 'acme' })).allowed, false);
  await l.refund({ user: 'u1', org: 'acme' }, { decision: mine });
  assert.equal((await l.limit({ user: 'u2', org: 'acme' })).allowed, true);
});

test('a reset through one user frees the org for another user', async () => {
  const l = limiter();
  await l.limit({ user: 'u1', org: 'acme' });
  assert.equal((await l.limit({ user: 'u2', org: 'acme' })).allowed, false);
  await l.reset({ user: 'u1', org: 'acme' });
  assert.equal((await l.limit({ user: 'u2', org: 'acme' })).allowed, true);
});
