/**
 * Fault: a hung Redis grew the heap without bound. With Redis stopped by
 * SIGSTOP (the connection open, nothing answering), every decision left a
 * call waiting in the client's queue: about 1.4 KB each, 83 MB in 12 s at
 * 5 000 decisions/s. At most `maxInFlight` decisions (default 1000) now wait
 * for Redis; past it they go straight to the failure policy. Measured in a
 * child process with a forced GC.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type RedisServer, startRedis } from '../support/redis-server.js';

const run = promisify(execFile);
const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'black-hole.ts');

let server: RedisServer;
before(async () => {
  server = await startRedis({ own: true });
});
after(async () => {
  await server.stop();
});

test('20 000 decisions against a black-holed Redis: 1000 wait, the rest fail open at once, the heap stays small', async () => {
  const pid = String(server.process?.pid);
  const { stdout } = await run(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', CHILD, server.url, pid, '20', '1000'],
    {
      timeout: 120_000,
    },
  );
  const result = JSON.parse(stdout) as { maxInFlight: number; degraded: number; real: number; heapGrowth: number };
  assert.equal(result.maxInFlight, 1000);
  assert.deepEqual([result.degraded, result.real], [20_000, 0]);
  // Unbounded, the 19 000 calls past the bound would hold about 27 MB.
  assert.ok(result.heapGrowth < 4 * 1024 * 1024, `heap grew ${(result.heapGrowth / 1024 / 1024).toFixed(1)} MB`);
});
