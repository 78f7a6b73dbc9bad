// Attack: a client fills its Forwarded element with parameters (extra ones,
// a second for=, upper case, empty pairs, thousands of them) hoping the
// parser picks a for= it wrote or spends its time on them. Only elements
// within the trusted hops are read; an element there that no proxy would
// write (two for= in one element, more than MAX_ELEMENT_CHARS) makes the
// header untrusted instead of choosing one of the client's values.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_ELEMENT_CHARS, ProxyHeaderReader } from '../../src/http/forwarded.js';
import { clientAddress, walkProxies } from '../../src/http/identity.js';
import { proxyAttackSuite, type Trick } from './attack-suite.js';

const forged = (i: number) => `10.0.0.${i + 1}`;
const fwd = (value: string): [string, string][] => [['Forwarded', value]];
const many = (n: number) => Array.from({ length: n }, (_, k) => `;p${k}=1`).join('');

const tricks: Trick[] = [
  {
    name: 'extra parameters',
    fields: (i) => fwd(`for=${forged(i)};by=10.9.9.9;proto=https;host=evil.example`),
    forged,
  },
  { name: 'two for= in one element', fields: (i) => fwd(`for=${forged(i)};for=${forged(i + 100)}`), forged },
  { name: 'an element without for=', fields: (i) => fwd(`proto=https;by=${forged(i)}`) },
  { name: 'upper-case FOR', fields: (i) => fwd(`FOR=${forged(i)}`), forged },
  { name: 'empty pairs and elements', fields: (i) => fwd(`;;for=${forged(i)};;, ,,`), forged },
  { name: 'a thousand parameters', fields: (i) => fwd(`for=${forged(i)}${many(1000)}`), forged },
  { name: 'a trailing for= of its own', fields: (i) => fwd(`proto=http;for=${forged(i)}`), forged },
];

proxyAttackSuite('Forwarded parameter injection, through nginx', 'forwarded', tricks);

const trust = (hops: number) => (_ip: string, hop: number) => hop < hops;

test('within the trusted hops, an element with two for= makes the header untrusted: the socket address counts', () => {
  const headers = { forwarded: 'for=6.6.6.6;for=7.7.7.7' };
  assert.equal(clientAddress('10.0.0.2', headers, trust(1), 'forwarded'), '10.0.0.2');
  const reader = new ProxyHeaderReader();
  assert.equal(walkProxies('10.0.0.2', headers, trust(1), 'forwarded', reader), '10.0.0.2');
  assert.equal(reader.problem, 'two for= parameters in one element');
  // Outside the trusted hops it is never read.
  const appended = { forwarded: 'for=6.6.6.6;for=7.7.7.7, for=203.0.113.7' };
  assert.equal(clientAddress('10.0.0.2', appended, trust(1), 'forwarded'), '203.0.113.7');
});

test('extra parameters, upper case and empty pairs in a trusted element are read as RFC 7239 says', () => {
  const cases: [string, string][] = [
    ['by=10.9.9.9;For=203.0.113.7;proto=https;host="a,b;c"', '203.0.113.7'],
    [';;for="203.0.113.7";;', '203.0.113.7'],
    ['for=203.0.113.7 ; proto=https', '203.0.113.7'],
    ['proto=https', '10.0.0.2'],
  ];
  for (const [value, expected] of cases) {
    assert.equal(clientAddress('10.0.0.2', { forwarded: value }, trust(1), 'forwarded'), expected, value);
  }
});

test('an element with a huge number of parameters is refused after MAX_ELEMENT_CHARS, not parsed to its end', () => {
  const reader = new ProxyHeaderReader();
  const headers = { forwarded: `for=6.6.6.6${many(20_000)}` };
  assert.equal(walkProxies('10.0.0.2', headers, trust(1), 'forwarded', reader), '10.0.0.2');
  assert.equal(reader.problem, 'an element longer than the limit');
  assert.ok(reader.scanned <= 3 * MAX_ELEMENT_CHARS, `scanned ${reader.scanned}`);
});
