// Attack: bytes 0x80-0xFF (obs-text) in a proxy header: a UTF-8 lead byte
// just before the proxy's comma, a non-breaking space that String#trim would
// strip, obs-text inside quoted strings and tokens. Node gives header bytes
// as latin1, one character each, so no byte can merge with the proxy's
// delimiter; and where the walk reads an element, only SP and HTAB are
// whitespace: an entry padded with NBSP is not an address a proxy wrote.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProxyHeaderReader } from '../../src/http/forwarded.js';
import { clientAddress, walkProxies } from '../../src/http/identity.js';
import { proxyAttackSuite, type Trick } from './attack-suite.js';

const forged = (i: number) => `10.0.0.${i + 1}`;
const fwd = (value: string): [string, string][] => [['Forwarded', value]];
const xff = (value: string): [string, string][] => [['X-Forwarded-For', value]];

proxyAttackSuite('Forwarded with obs-text, through nginx', 'forwarded', [
  { name: 'obs-text in a quoted string', fields: (i) => fwd(`for=${forged(i)};x="\xe9\xff"`), forged },
  { name: 'obs-text after a token', fields: (i) => fwd(`for=${forged(i)}\xe9`), forged },
  { name: 'a UTF-8 lead byte before the comma', fields: (i) => fwd(`for=${forged(i)};x=\xc2`), forged },
  { name: 'NBSP inside the for= value', fields: (i) => fwd(`for="\xa0${forged(i)}\xa0"`), forged },
] satisfies Trick[]);

proxyAttackSuite('X-Forwarded-For with obs-text, through nginx', 'x-forwarded-for', [
  { name: 'NBSP around the entry', fields: (i) => xff(`\xa0${forged(i)}\xa0`), forged },
  { name: 'a UTF-8 lead byte before the comma', fields: (i) => xff(`${forged(i)}\xc2`), forged },
  { name: 'obs-text entries', fields: (i) => xff(`${forged(i)}, \xff\xfe`), forged },
] satisfies Trick[]);

const trust1 = (_ip: string, hop: number) => hop < 1;

test('within the trusted hops, only SP and HTAB are whitespace: an NBSP-padded entry is not trusted', () => {
  const reader = new ProxyHeaderReader();
  const headers = { 'x-forwarded-for': '\xa06.6.6.6\xa0' };
  assert.equal(walkProxies('10.0.0.2', headers, trust1, 'x-forwarded-for', reader), '10.0.0.2');
  assert.equal(reader.problem, 'an entry is not an IP address');
  assert.equal(clientAddress('10.0.0.2', { 'x-forwarded-for': ' \t6.6.6.6\t ' }, trust1, 'x-forwarded-for'), '6.6.6.6');
  assert.equal(clientAddress('10.0.0.2', { 'x-real-ip': '\xa06.6.6.6' }, trust1, 'x-real-ip'), '10.0.0.2');
});

test('obs-text on the client side never shifts the appended element', () => {
  for (const prefix of ['\xc2', 'x="\xe9', '\xff\xfe,', 'for="\xa0']) {
    const value = `${prefix}, for=203.0.113.7`;
    assert.equal(clientAddress('10.0.0.2', { forwarded: value }, trust1, 'forwarded'), '203.0.113.7');
    assert.equal(
      clientAddress('10.0.0.2', { 'x-forwarded-for': `${prefix}, 203.0.113.7` }, trust1, 'x-forwarded-for'),
      '203.0.113.7',
    );
  }
});
