/**
 * The packed reply (lua/prelude.lua.ts) is what Redis's `cmsgpack.pack`
 * writes: every encoding it picks for a number or a string (by magnitude and
 * length) must read back as the value packed, and bytes cut short or with
 * more after the array must read as no reply at all (a malformed reply).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unpackReply } from '../../src/stores/redis/packed-reply.js';
import { redisFixture } from '../support/redis-fixture.js';

const db = redisFixture();

// Numbers as ARGV strings, strings prefixed with 's:'; the script packs them as one Lua array.
const PACK = `
local t = {}
for i, a in ipairs(ARGV) do
  if string.sub(a, 1, 2) == 's:' then t[i] = string.sub(a, 3) else t[i] = tonumber(a) end
end
return cmsgpack.pack(t)
`;

async function packed(values: readonly (number | string)[]): Promise<Buffer> {
  const args = values.map((value) => (typeof value === 'string' ? `s:${value}` : String(value)));
  return (await db.admin.callBuffer('EVAL', PACK, '0', ...args)) as Buffer;
}

const NUMBERS = [
  0,
  1,
  127,
  128,
  255,
  256,
  65_535,
  65_536,
  4_294_967_295,
  4_294_967_296,
  1_765_000_000_123,
  2 ** 53 - 1,
  -1,
  -32,
  -33,
  -128,
  -129,
  -32_768,
  -32_769,
  -(2 ** 31),
  -(2 ** 31) - 1,
  -(2 ** 53) + 1,
  2.5,
  0.1,
];
const STRINGS = [
  '',
  'x'.repeat(31),
  'x'.repeat(32),
  'x'.repeat(255),
  'x'.repeat(256),
  'é',
  'flowgate: the key holds a value flowgate did not write',
];

test('every encoding cmsgpack picks reads back as the value packed', async () => {
  const values = [...NUMBERS, ...STRINGS];
  assert.ok(values.length > 15, 'more than 15 elements: the array16 header');
  assert.deepEqual(unpackReply(await packed(values)), values);
  // A short array: the fixarray header.
  assert.deepEqual(unpackReply(await packed([1765000000123, 1, 2, 'e'])), [1765000000123, 1, 2, 'e']);
});

test('bytes cut short, or more after the array, are not a reply', async () => {
  const bytes = await packed([1765000000123, 1, 2_000_000, 'flowgate: the key holds a value flowgate did not write']);
  for (let length = 0; length < bytes.length; length++) {
    assert.equal(unpackReply(bytes.subarray(0, length)), undefined, `cut at ${length} of ${bytes.length}`);
  }
  assert.equal(unpackReply(Buffer.concat([bytes, Buffer.from([0])])), undefined);
  // Not an array: a lone number.
  assert.equal(unpackReply(Buffer.from([0x01])), undefined);
});
