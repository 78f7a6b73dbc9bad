/**
 * Attack: the adapters read a request's prototype through the inlined
 * `__proto__` accessor (request-state.ts's prototypeOf). Node's
 * `--disable-proto=delete` removes that accessor and `--disable-proto=throw`
 * makes every use of it throw (ERR_PROTO_ACCESS). Real Express, Fastify and
 * node servers with two stacked flowgate middlewares, run in a node started
 * with each flag, must answer exactly as without it: the same statuses, the
 * same appended RateLimit headers, the same `req.rateLimit`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const fixture = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'disable-proto-servers.ts');

function serve(flags: string[]): unknown {
  const out = execFileSync(process.execPath, [...flags, '--import', 'tsx', fixture], {
    encoding: 'utf8',
    // The flag under test only: none inherited from the runner.
    env: { ...process.env, NODE_OPTIONS: '' },
    timeout: 120_000,
  });
  return JSON.parse(out.trim().split('\n').at(-1) as string);
}

const POLICY = '"a";q=2;w=60, "b";q=5;w=60';
const expected = [
  [200, POLICY, '"a";r=1;t=20, "b";r=4;t=20', 'remaining 4'],
  [200, POLICY, '"a";r=0;t=20, "b";r=3;t=20', 'remaining 3'],
];

test('with and without --disable-proto, real servers answer the same', () => {
  const plain = serve([]) as Record<string, unknown[][]>;
  for (const framework of ['express', 'fastify', 'node']) {
    const seen = plain[framework] as unknown[][];
    assert.deepEqual(seen.slice(0, 2), expected, framework);
    assert.equal(seen[2]?.[0], 429, framework);
  }
  for (const mode of ['delete', 'throw']) assert.deepEqual(serve([`--disable-proto=${mode}`]), plain, mode);
});
