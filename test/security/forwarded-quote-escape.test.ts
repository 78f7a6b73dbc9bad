// Attack: a client opens a quoted string in its Forwarded element and never
// closes it (or escapes the closing quote). The proxy appends
// `, for=<real address>` as RFC 7239 says; a parser reading left to right
// takes the appended element as the inside of the client's string and reads
// the client's own `for=`. Before the fix, 20 of 20 requests passed a limit
// of 3 on every adapter. Quotes, escapes, and commas or semicolons inside
// quoted strings must not reach into the element a trusted proxy appended.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientAddress } from '../../src/http/identity.js';
import { proxyAttackSuite, type Trick } from './attack-suite.js';

const forged = (i: number) => `10.0.0.${i + 1}`;
const fwd = (value: string): [string, string][] => [['Forwarded', value]];

const tricks: Trick[] = [
  { name: 'unclosed quote after the for=', fields: (i) => fwd(`for=${forged(i)};x="`), forged },
  { name: 'unclosed quote opening the for= value', fields: (i) => fwd(`for="${forged(i)}`), forged },
  { name: 'escaped closing quote', fields: (i) => fwd(`for="${forged(i)}\\"`), forged },
  { name: 'escaped quote inside an unclosed string', fields: (i) => fwd(`for=${forged(i)};x="a\\"b`), forged },
  { name: 'stray quote after a token', fields: (i) => fwd(`for=${forged(i)}"`), forged },
  { name: 'escaped backslash before a quote', fields: (i) => fwd(`for=${forged(i)};x="\\\\"`), forged },
  {
    name: 'comma and for= inside a quoted string',
    fields: (i) => fwd(`for=${forged(i)};x="a, for=${forged(i + 100)}"`),
    forged,
  },
  { name: 'semicolon and for= inside a quoted string', fields: (i) => fwd(`x="a;for=${forged(i)}"`), forged },
  { name: 'the whole header one open string', fields: (i) => fwd(`"for=${forged(i)}`), forged },
];

proxyAttackSuite('Forwarded quote escape, through nginx', 'forwarded', tricks);

test('the parser reads the appended element first, whatever quotes precede it', () => {
  const trust1 = (_ip: string, hop: number) => hop < 1;
  const appended = [', for=203.0.113.7', ', for="203.0.113.7"', ', for="[2001:db8::7]:443"'];
  const expected = ['203.0.113.7', '203.0.113.7', '2001:db8::7'];
  for (const trick of tricks) {
    for (const [n, tail] of appended.entries()) {
      const value = `${trick.fields(0)[0]?.[1]}${tail}`;
      assert.equal(clientAddress('10.0.0.254', { forwarded: value }, trust1, 'forwarded'), expected[n], value);
    }
  }
});
