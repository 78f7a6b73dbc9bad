import { createHash } from 'node:crypto';

/** Longest key stored as given; a longer one is stored as its hash. */
export const MAX_KEY_LENGTH = 512;

/**
 * The key a store holds for a user key: the key itself, unless it is longer
 * than {@link MAX_KEY_LENGTH} (then NUL and its SHA-256, so that a client
 * who controls a key, e.g. through a header, cannot make the store hold
 * megabytes per key) or starts with NUL (then NUL is doubled, so no key can
 * pose as another's hash).
 *
 * @example
 * boundKey('user:42');        // 'user:42'
 * boundKey('x'.repeat(10_000)); // '\0' + 43 base64url characters
 */
export function boundKey(key: string): string {
  return key.length <= MAX_KEY_LENGTH && key.charCodeAt(0) !== 0 ? key : escapedKey(key);
}

/** {@link boundKey} of a key too long or starting with NUL: out of line, so the usual case inlines. */
function escapedKey(key: string): string {
  if (key.length <= MAX_KEY_LENGTH) return `\u0000${key}`;
  return `\u0000${createHash('sha256').update(key).digest('base64url')}`;
}
