/**
 * Attack: an option or limit name carrying a line break or a quote (names
 * taken from a configuration file or a JSON body). The error message put the
 * raw name into its option path, so `limits: { "a\nFG_OK: all good": ... }`
 * printed a line of the attacker's choosing into the log that shows the
 * error. Such a name is now shown JSON-quoted (`limits["a\nFG_OK: ..."]`);
 * plain names keep the dotted path.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixedWindow, RateLimiter } from '../../src/index.js';

const forged = 'a\r\nFG_OK: every option is valid';

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return (error as Error).message;
  }
  assert.fail('expected the constructor to throw');
}

test('a limit name with a line break is quoted in the message, which stays one line per issue', () => {
  const message = messageOf(() => new RateLimiter({ limits: { [forged]: fixedWindow({ limit: 1, window: '1m' }) } }));
  assert.match(message, /RateLimiter\.limits\["a\\r\\nFG_OK: every option is valid"\]/);
  assert.doesNotMatch(message, /\r|\n/);
});

test('an unknown option whose name carries a line break is quoted too', () => {
  const options = { policy: fixedWindow({ limit: 1, window: '1m' }), [forged]: 1 } as never;
  const message = messageOf(() => new RateLimiter(options));
  assert.match(message, /RateLimiter(\(options\))?\["a\\r\\nFG_OK: every option is valid"\]/);
  assert.doesNotMatch(message, /\r|\n/);
});

test('plain names keep the dotted path', () => {
  const message = messageOf(() => new RateLimiter({ limits: { 'bad name': 1 as never, ok: 2 as never } }));
  assert.match(message, /RateLimiter\.limits\["bad name"\]/);
  assert.match(message, /RateLimiter\.limits\.ok\b/);
});
