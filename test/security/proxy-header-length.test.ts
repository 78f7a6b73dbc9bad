// Attack: huge proxy headers: thousands of entries, one enormous entry,
// quoted string or token. Two things must hold. The client is still keyed by
// the address the proxy appended (through nginx, on every framework). And the
// work per request is bounded by the trust depth, not by the header's length:
// before the fix every X-Forwarded-For entry was canonicalised although only
// the trusted hops are read (a 16 KB header cost ~16 ms of CPU per request).
// The work is measured without a clock: by counting what reaches node's
// isIP (every canonicalisation starts there) and the parser's own character reads.
import assert from 'node:assert/strict';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';
import { type TestContext, test } from 'node:test';
import { IssueList } from '../../src/errors.js';
import { MAX_ELEMENT_CHARS, type ProxyHeader, ProxyHeaderReader } from '../../src/http/forwarded.js';
import { ClientKeys, MAX_PROXY_HOPS, walkProxies } from '../../src/http/identity.js';
import { compileTrust } from '../../src/http/trust.js';
import { proxyAttackSuite, type Trick } from './attack-suite.js';

const forged = (i: number) => `10.0.0.${i + 1}`;
// Node accepts 16 KB of request head in all, and nginx adds its own fields: stay near 12 KB.
const BIG = 12_000;

proxyAttackSuite('long X-Forwarded-For, through nginx', 'x-forwarded-for', [
  {
    name: 'a thousand entries',
    fields: (i) => [['X-Forwarded-For', Array.from({ length: 800 }, (_, k) => forged((i + k) % 200)).join(', ')]],
    forged,
  },
  { name: 'one enormous entry', fields: (i) => [['X-Forwarded-For', `${'9'.repeat(BIG)}${forged(i)}`]], forged },
] satisfies Trick[]);

proxyAttackSuite('long Forwarded, through nginx', 'forwarded', [
  {
    name: 'a thousand elements',
    fields: (i) => [['Forwarded', Array.from({ length: 800 }, () => `for=${forged(i)}`).join(', ')]],
    forged,
  },
  {
    name: 'an enormous quoted string',
    fields: (i) => [['Forwarded', `for=${forged(i)};x="${'a'.repeat(BIG)}"`]],
    forged,
  },
  { name: 'an enormous token', fields: (i) => [['Forwarded', `for=${forged(i)};x=${'a'.repeat(BIG)}`]], forged },
] satisfies Trick[]);

function trust(value: unknown) {
  const issues = new IssueList();
  const fn = compileTrust(issues, 'trustProxy', value);
  issues.throwIfAny();
  return fn;
}

interface Work {
  key: string | undefined;
  /** isIP calls, and the characters they were given. */
  calls: number;
  chars: number;
}

/** Keys one request through ClientKeys (the middleware's path), counting what reaches node's isIP. */
function measure(t: TestContext, header: ProxyHeader, value: string, trustProxy: unknown): Work {
  const keys = new ClientKeys({ trust: trust(trustProxy), proxyHeader: header, ipv6Subnet: 64 });
  const real = net.isIP;
  let calls = 0;
  let chars = 0;
  t.mock.method(net, 'isIP', (input: string) => {
    calls++;
    chars += input.length;
    return real(input);
  });
  syncBuiltinESMExports();
  try {
    const key = keys.keyOf('10.0.0.2', { [header]: value });
    return { key, calls, chars };
  } finally {
    t.mock.restoreAll();
    syncBuiltinESMExports();
  }
}

/** A header of about `size` characters whose last (proxy-appended) element is 203.0.113.7. */
function padded(header: ProxyHeader, size: number): string {
  if (header === 'x-real-ip') return `${' '.repeat(size)}203.0.113.7`;
  const entry = header === 'forwarded' ? 'for=198.51.100.1' : '198.51.100.1';
  const last = header === 'forwarded' ? 'for=203.0.113.7' : '203.0.113.7';
  return `${Array.from({ length: Math.ceil(size / (entry.length + 2)) }, () => entry).join(', ')}, ${last}`;
}

test('proxy-header parsing work does not grow with the header: 1 KB, 16 KB and 1 MB cost the same', (t) => {
  for (const header of ['x-forwarded-for', 'forwarded'] as const) {
    for (const trustProxy of [1, 2, ['10.0.0.0/8']]) {
      const small = measure(t, header, padded(header, 1_000), trustProxy);
      for (const size of [16_000, 1_000_000]) {
        const large = measure(t, header, padded(header, size), trustProxy);
        assert.deepEqual(large, small, `${header}, trustProxy ${JSON.stringify(trustProxy)}, ${size} chars`);
      }
      // The socket address and one address per trusted hop read, nothing more.
      const hops = typeof trustProxy === 'number' ? trustProxy : 1;
      assert.ok(small.calls <= hops + 1, `${header}: ${small.calls} isIP calls`);
    }
  }
  // X-Real-IP is one address: an overlong value is refused before any canonicalisation.
  const realIp = measure(t, 'x-real-ip', padded('x-real-ip', 1_000_000), 1);
  assert.deepEqual(realIp, { key: '10.0.0.2', calls: 1, chars: '10.0.0.2'.length });
});

test('the parser reads a bounded number of characters per hop, whatever the header holds', () => {
  const reader = new ProxyHeaderReader();
  const trust1 = (_ip: string, hop: number) => hop < 1;
  const headers: [ProxyHeader, string][] = [
    ['x-forwarded-for', `${'1'.repeat(1_000_000)}`],
    ['x-forwarded-for', `${','.repeat(1_000_000)}`],
    ['x-forwarded-for', `${' '.repeat(1_000_000)}, 203.0.113.7`],
    ['forwarded', `for="${'a'.repeat(1_000_000)}"`],
    ['forwarded', `x="${'\\"'.repeat(500_000)}"`],
    ['forwarded', `for=203.0.113.7${';a=1'.repeat(250_000)}`],
    ['forwarded', `${'\\'.repeat(1_000_000)}"`],
    ['x-real-ip', '1'.repeat(1_000_000)],
  ];
  for (const [header, value] of headers) {
    walkProxies('10.0.0.2', { [header]: value }, trust1, header, reader);
    assert.ok(reader.scanned <= 3 * MAX_ELEMENT_CHARS, `${header} ${value.slice(0, 12)}…: scanned ${reader.scanned}`);
  }
});

test(`a chain of more than ${MAX_PROXY_HOPS} trusted addresses is not walked to its end`, (t) => {
  const chain = Array.from({ length: 5_000 }, (_, k) => `10.0.${k >> 8}.${k & 255}`).join(', ');
  const work = measure(t, 'x-forwarded-for', `203.0.113.7, ${chain}`, ['10.0.0.0/8']);
  assert.equal(work.key, '10.0.0.2', 'not trusted at all: the socket address');
  assert.ok(work.calls <= MAX_PROXY_HOPS + 1, `${work.calls} isIP calls`);
  const reader = new ProxyHeaderReader();
  walkProxies('10.0.0.2', { 'x-forwarded-for': chain }, trust(['10.0.0.0/8']), 'x-forwarded-for', reader);
  assert.equal(reader.problem, `more than ${MAX_PROXY_HOPS} trusted proxies`);
});
