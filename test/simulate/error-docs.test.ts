import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { SIMULATE_ERROR_CODES } from '../../src/simulate/errors.js';

test('every error code of flowgate simulate has its section in docs/errors.md', () => {
  const docs = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  for (const code of SIMULATE_ERROR_CODES) {
    assert.match(docs, new RegExp(`^## ${code.toLowerCase()}\\n\\n\\S`, 'm'), code);
  }
});
