/**
 * Attack: a client who controls the key (an API key header, a path segment)
 * sends a megabyte of it, so the store holds megabytes per key; or crafts a
 * key to pose as another. Keys over 512 characters are stored as their
 * SHA-256, and no key can collide with another's stored form.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixedWindow, RateLimiter } from '../../src/index.js';
import { boundKey, MAX_KEY_LENGTH } from '../../src/key-bound.js';

test('a 1 MB key is stored as a short hash and still limited on its own', async () => {
  const huge = 'x'.repeat(1 << 20);
  const stored = boundKey(huge);
  assert.ok(stored.length < 64, `stored as ${stored.length} characters`);
  const limiter = new RateLimiter({ policy: fixedWindow({ limit: 2, window: '1h' }), clock: () => 1 });
  assert.equal((await limiter.limit(huge)).remaining, 1);
  assert.equal((await limiter.limit(huge)).remaining, 0);
  // Another long key, differing in its last character, is another key.
  assert.equal((await limiter.limit(`${'x'.repeat((1 << 20) - 1)}y`)).remaining, 1);
});

test('keys up to the bound are stored as they are; none can pose as another', () => {
  const edge = 'k'.repeat(MAX_KEY_LENGTH);
  assert.equal(boundKey(edge), edge);
  assert.equal(boundKey('user:42'), 'user:42');
  const longKey = 'y'.repeat(MAX_KEY_LENGTH + 1);
  // A user key written as the stored form of the long key is escaped, so it stays distinct.
  const forged = boundKey(longKey);
  assert.notEqual(boundKey(forged), forged);
  assert.notEqual(boundKey(`\u0000${forged}`), forged);
});
