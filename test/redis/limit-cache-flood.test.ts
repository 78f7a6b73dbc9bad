/**
 * flowgate's Function library keeps the limits it has parsed, by their
 * description (ARGV[5]), across calls. A client that sends ever new
 * descriptions (each call a different limit) must not grow Redis's memory
 * with them: the library keeps a bounded number and drops the rest.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LIBRARY } from '../../src/stores/redis/scripts.js';
import { redisFixture } from '../support/redis-fixture.js';

const db = redisFixture();

/** Memory of the Lua VM that runs Functions (bytes), after a full collection cycle's worth of calls. */
async function functionsMemory(): Promise<number> {
  const info = await db.admin.info('memory');
  const found = /used_memory_vm_functions:(\d+)/.exec(info);
  assert.ok(found, 'INFO memory reports used_memory_vm_functions (Redis >= 7)');
  return Number(found[1]);
}

test('flooding the library with distinct limit descriptions keeps its memory bounded', async () => {
  await db.admin.call('FUNCTION', 'LOAD', 'REPLACE', LIBRARY.code);
  const before = await functionsMemory();
  // 3000 descriptions of 60 limits each (about 1 KiB): kept unbounded, over 30 MB of parsed tables.
  for (let i = 0; i < 3000; i++) {
    const described = `fw,${i + 1},3600000,,;`.repeat(60).slice(0, 1000);
    const trimmed = described.slice(0, described.lastIndexOf(';') + 1);
    // No keys: the call parses its limits, decides no request and answers the header.
    const reply = (await db.admin.call('FCALL', LIBRARY.name, '0', '', 'e', '1000', '', trimmed)) as unknown[];
    assert.equal(reply[1], 1);
  }
  const grown = (await functionsMemory()) - before;
  // Bounded: at most 64 descriptions kept (about 1 MB of tables), plus garbage not yet collected.
  assert.ok(grown < 8_000_000, `the Functions VM grew by ${grown} bytes`);
});
