import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IssueList } from '../../src/errors.js';
import { addressKey, normalizeIp } from '../../src/http/address.js';
import {
  END,
  type HeaderBag,
  MALFORMED,
  OPAQUE,
  type ProxyHeader,
  ProxyHeaderReader,
} from '../../src/http/forwarded.js';
import { ClientKeys, clientAddress, clientKey } from '../../src/http/identity.js';
import { compileTrust } from '../../src/http/trust.js';

function trust(value: unknown) {
  const issues = new IssueList();
  const fn = compileTrust(issues, 'trustProxy', value);
  issues.throwIfAny();
  return fn;
}

test('normalizeIp canonicalises, unwraps IPv4-mapped addresses and rejects non-addresses', () => {
  assert.equal(normalizeIp('203.0.113.7'), '203.0.113.7');
  assert.equal(normalizeIp('::ffff:203.0.113.7'), '203.0.113.7');
  assert.equal(normalizeIp('::FFFF:203.0.113.7'), '203.0.113.7');
  assert.equal(normalizeIp('::ffff:cb00:7107'), '203.0.113.7');
  assert.equal(normalizeIp('0:0:0:0:0:ffff:cb00:7107'), '203.0.113.7');
  assert.equal(normalizeIp('2001:DB8:0:0:0::1'), '2001:db8::1');
  assert.equal(normalizeIp('fe80::1%eth0'), 'fe80::1');
  assert.equal(normalizeIp('::1'), '::1');
  for (const bad of ['', 'unknown', '_hidden', '1.2.3', '01.2.3.4', '1.2.3.4:80', '[::1]', 'localhost']) {
    assert.equal(normalizeIp(bad), undefined, bad);
  }
});

test('addressKey groups IPv6 by prefix and leaves IPv4 alone', () => {
  assert.equal(addressKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd', 64), '2001:db8:1:2::/64');
  assert.equal(addressKey('2001:db8:1:2::1', 64), '2001:db8:1:2::/64');
  assert.equal(addressKey('2001:db8:1:3::1', 64), '2001:db8:1:3::/64');
  assert.equal(addressKey('2001:db8:1:2::1', 56), '2001:db8:1::/56');
  assert.equal(addressKey('2001:db8:1:ff::1', 60), '2001:db8:1:f0::/60');
  assert.equal(addressKey('2001:db8::1', false), '2001:db8::1');
  assert.equal(addressKey('2001:db8::1', 128), '2001:db8::1');
  assert.equal(addressKey('::1', 64), '::/64');
  assert.equal(addressKey('203.0.113.7', 64), '203.0.113.7');
});

/** Every element of a proxy header, read right to left as the walk reads them, up to the first non-address. */
function elements(headers: HeaderBag, header: ProxyHeader): string[] {
  const reader = new ProxyHeaderReader();
  const raw = headers[header];
  if (raw === undefined) return [];
  reader.reset(header, raw);
  const out: string[] = [];
  for (;;) {
    const hop = reader.next();
    if (hop === END) return out;
    if (hop === OPAQUE) return [...out, 'opaque'];
    if (hop === MALFORMED) return [...out, `malformed: ${reader.problem}`];
    out.push(hop);
  }
}

test('ProxyHeaderReader reads X-Forwarded-For, RFC 7239 Forwarded and X-Real-IP from the right', () => {
  assert.deepEqual(elements({ 'x-forwarded-for': ' 203.0.113.7 ,10.0.0.2' }, 'x-forwarded-for'), [
    '10.0.0.2',
    '203.0.113.7',
  ]);
  assert.deepEqual(elements({ 'x-forwarded-for': 'nope, [2001:db8::1]:443, 1.2.3.4:80' }, 'x-forwarded-for'), [
    '1.2.3.4',
    '2001:db8::1',
    'malformed: an entry is not an IP address',
  ]);
  assert.deepEqual(
    elements(
      {
        forwarded:
          'proto=https, for=unknown, For="[2001:db8:cafe::17]:4711", for=192.0.2.60;proto=http;by=203.0.113.43',
      },
      'forwarded',
    ),
    ['192.0.2.60', '2001:db8:cafe::17', 'opaque'],
  );
  assert.deepEqual(elements({ forwarded: 'for="1.2.3.4", for="_gazonk;x"' }, 'forwarded'), ['opaque']);
  assert.deepEqual(elements({ forwarded: 'for="_gazonk;x", for="1.2.3.4"' }, 'forwarded'), ['1.2.3.4', 'opaque']);
  assert.deepEqual(elements({ forwarded: 'for=1.1.1.1;;, ,,for=2.2.2.2;' }, 'forwarded'), ['2.2.2.2', '1.1.1.1']);
  assert.deepEqual(elements({ 'x-real-ip': '198.51.100.9' }, 'x-real-ip'), ['198.51.100.9']);
  assert.deepEqual(elements({ 'x-real-ip': ' [2001:db8::9]:80 ' }, 'x-real-ip'), ['2001:db8::9']);
  // Two X-Real-IP fields, joined by node: ambiguous, so not an address.
  assert.deepEqual(elements({ 'x-real-ip': '1.1.1.1, 2.2.2.2' }, 'x-real-ip'), [
    'malformed: a list where one address belongs',
  ]);
  assert.deepEqual(elements({}, 'forwarded'), []);
});

test('without trustProxy the socket address is the client, whatever the headers say', () => {
  const headers = { 'x-forwarded-for': '6.6.6.6', forwarded: 'for=6.6.6.6', 'x-real-ip': '6.6.6.6' };
  for (const header of ['x-forwarded-for', 'forwarded', 'x-real-ip'] as const) {
    assert.equal(clientAddress('10.0.0.2', headers, undefined, header), '10.0.0.2');
    assert.equal(clientAddress('10.0.0.2', headers, trust(false), header), '10.0.0.2');
    assert.equal(clientAddress('10.0.0.2', headers, trust(0), header), '10.0.0.2');
  }
});

test('a hop count trusts that many proxies from the right, never a forged leftmost entry', () => {
  const headers = { 'x-forwarded-for': '6.6.6.6, 203.0.113.7, 10.0.0.3' };
  assert.equal(clientAddress('10.0.0.2', headers, trust(1), 'x-forwarded-for'), '10.0.0.3');
  assert.equal(clientAddress('10.0.0.2', headers, trust(2), 'x-forwarded-for'), '203.0.113.7');
  assert.equal(clientAddress('10.0.0.2', headers, trust(3), 'x-forwarded-for'), '6.6.6.6');
  assert.equal(clientAddress('10.0.0.2', headers, trust(9), 'x-forwarded-for'), '6.6.6.6');
  // A garbage hop stops the walk at the proxy that reported it.
  const garbage = { 'x-forwarded-for': '6.6.6.6, nonsense' };
  assert.equal(clientAddress('10.0.0.2', garbage, trust(2), 'x-forwarded-for'), '10.0.0.2');
});

test('an address list trusts only the listed proxies (IPv4, IPv6, CIDRs, names)', () => {
  const list = trust(['10.0.0.0/8', '2001:db8:ffff::/48', 'loopback']);
  const xff = { 'x-forwarded-for': '6.6.6.6, 203.0.113.7, 10.9.9.9' };
  assert.equal(clientAddress('10.0.0.2', xff, list, 'x-forwarded-for'), '203.0.113.7');
  assert.equal(clientAddress('::ffff:10.0.0.2', xff, list, 'x-forwarded-for'), '203.0.113.7');
  assert.equal(clientAddress('192.0.2.1', xff, list, 'x-forwarded-for'), '192.0.2.1');
  assert.equal(clientAddress('2001:db8:ffff:1::5', xff, list, 'x-forwarded-for'), '203.0.113.7');
  assert.equal(clientAddress('::1', { forwarded: 'for="[2001:db8::9]"' }, list, 'forwarded'), '2001:db8::9');
  assert.equal(clientAddress('127.0.0.1', { 'x-real-ip': '198.51.100.9' }, list, 'x-real-ip'), '198.51.100.9');
  assert.equal(clientAddress('192.0.2.1', { 'x-real-ip': '198.51.100.9' }, list, 'x-real-ip'), '192.0.2.1');
  // Only the configured header is read: a forged Forwarded cannot override X-Forwarded-For.
  const mixed = { 'x-forwarded-for': '203.0.113.7', forwarded: 'for=6.6.6.6' };
  assert.equal(clientAddress('10.0.0.2', mixed, list, 'x-forwarded-for'), '203.0.113.7');
  assert.equal(trust('10.0.0.1, 10.0.0.2')?.('10.0.0.2', 0), true);
});

test('clientKey groups IPv6 clients by /64 and keeps IPv4-mapped clients apart', () => {
  const settings = { trust: trust(1), proxyHeader: 'x-forwarded-for' as const, ipv6Subnet: 64 as const };
  const key = (xff: string) => clientKey('10.0.0.2', { 'x-forwarded-for': xff }, settings);
  assert.equal(key('2001:db8:1:2::1'), key('2001:db8:1:2:ffff::9'));
  assert.notEqual(key('2001:db8:1:2::1'), key('2001:db8:1:3::1'));
  assert.equal(key('::ffff:1.2.3.4'), '1.2.3.4');
  assert.notEqual(key('::ffff:1.2.3.4'), key('::ffff:5.6.7.8'));
  assert.equal(clientKey('2001:db8::1', {}, { ...settings, ipv6Subnet: false }), '2001:db8::1');
  assert.equal(clientKey(undefined, {}, settings), undefined);
});

test('ClientKeys answers exactly as clientKey, first call and memoised, past its memo bound', () => {
  const sockets = ['127.0.0.1', '::ffff:127.0.0.1', '::1', '2001:db8:1:2::1', 'fe80::1%eth0', 'junk', '10.0.0.2', ''];
  const headerSets = [
    {},
    { 'x-forwarded-for': '2001:db8:9::7, 10.0.0.2' },
    { 'x-forwarded-for': 'junk' },
    { forwarded: 'for="[2001:db8::5]:80"' },
  ];
  const settingsList = [
    { trust: undefined, proxyHeader: 'x-forwarded-for' as const, ipv6Subnet: 64 as const },
    { trust: trust(1), proxyHeader: 'x-forwarded-for' as const, ipv6Subnet: 48 as const },
    { trust: trust('loopback, 10.0.0.0/8'), proxyHeader: 'forwarded' as const, ipv6Subnet: false as const },
  ];
  for (const settings of settingsList) {
    const keys = new ClientKeys(settings);
    for (let round = 0; round < 2; round++) {
      for (const socket of sockets) {
        for (const headers of headerSets) {
          assert.equal(
            keys.keyOf(socket, headers),
            clientKey(socket, headers, settings),
            `${socket} ${JSON.stringify(headers)}`,
          );
        }
      }
    }
    assert.equal(keys.keyOf(undefined, {}), undefined);
    // Past the bound (oldest out first), answers stay right.
    for (let i = 0; i < 5000; i++) {
      const socket = `2001:db8:${(i % 3000).toString(16)}::1`;
      const headers = { 'x-forwarded-for': `2001:db8:${(i % 2500).toString(16)}::${i % 7}` };
      assert.equal(keys.keyOf(socket, {}), clientKey(socket, {}, settings));
      assert.equal(keys.keyOf('10.0.0.2', headers), clientKey('10.0.0.2', headers, settings));
    }
  }
});

test('invalid trustProxy values are rejected with FG_TRUST_PROXY_INVALID', () => {
  for (const bad of [-1, 1.5, true, '10.0.0.0/33', 'not-an-ip', ['::1/129'], [], {}, '']) {
    assert.throws(() => trust(bad), { code: 'FG_TRUST_PROXY_INVALID' }, String(bad));
  }
});

test('IPv6 zone ids and brackets: zones never split a key, unbalanced brackets are not addresses', () => {
  const trust1 = trust(1);
  const key = (header: 'x-forwarded-for' | 'forwarded' | 'x-real-ip', value: string) =>
    clientKey('10.0.0.2', { [header]: value }, { trust: trust1, proxyHeader: header, ipv6Subnet: false });
  for (const [header, value] of [
    ['x-forwarded-for', 'fe80::1%eth0'],
    ['x-forwarded-for', '[fe80::1%eth1]:443'],
    ['x-forwarded-for', `fe80::1%${'z'.repeat(40)}`],
    ['forwarded', 'for="[fe80::1%25eth0]:443"'],
    ['x-real-ip', '[fe80::1%lo]'],
  ] as const) {
    assert.equal(key(header, value), 'fe80::1', value);
  }
  for (const [header, value] of [
    ['x-forwarded-for', '[2001:db8::1'],
    ['x-forwarded-for', '2001:db8::1]'],
    ['x-forwarded-for', '[2001:db8::1]x'],
    ['x-forwarded-for', '1.2.3.4%eth0'],
    ['forwarded', 'for="[2001:db8::1]:port"'],
    ['x-real-ip', '[[2001:db8::1]]'],
  ] as const) {
    assert.equal(key(header, value), '10.0.0.2', value);
  }
  // A zone longer than an element may span is refused before it is canonicalised.
  assert.equal(key('x-forwarded-for', `fe80::1%${'z'.repeat(600)}`), '10.0.0.2');
});
