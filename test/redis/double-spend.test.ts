import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type RedisServer, startRedis } from '../support/redis-server.js';

const run = promisify(execFile);
const HAMMER = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'hammer.ts');
const LIMIT = 700;

let server: RedisServer;
before(async () => {
  server = await startRedis();
});
after(async () => {
  await server.stop();
});

test('4 processes × 500 concurrent calls on one key admit exactly the limit, for every policy', async () => {
  const instant = String(Date.now());
  const kinds = ['ioredis', 'node-redis', 'ioredis', 'node-redis'];
  const outputs = await Promise.all(
    kinds.map((kind) =>
      run(process.execPath, ['--import', 'tsx', HAMMER, server.url, kind, '500', instant, String(kinds.length)], {
        timeout: 120_000,
      }),
    ),
  );
  const totals: Record<string, number> = {};
  for (const { stdout } of outputs) {
    const { admitted, finishedAtHalf } = JSON.parse(stdout) as {
      admitted: Record<string, number>;
      finishedAtHalf: number;
    };
    // Every process had finished its first half, and none its second: all four ran at once.
    assert.equal(finishedAtHalf, 0);
    for (const [name, count] of Object.entries(admitted)) totals[name] = (totals[name] ?? 0) + count;
  }
  assert.deepEqual(totals, {
    fixedWindow: LIMIT,
    slidingWindow: LIMIT,
    slidingLog: LIMIT,
    tokenBucket: LIMIT,
    leakyBucket: LIMIT,
  });
});
