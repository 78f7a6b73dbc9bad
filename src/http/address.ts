import { isIP } from 'node:net';

/**
 * The canonical text of an IP address, or `undefined` when `text` is not one:
 * IPv4 as dotted decimal; IPv6 lowercase and compressed (RFC 5952), without a
 * zone; an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`, `::ffff:102:304`) as the
 * IPv4 address it carries, so a dual-stack socket and an IPv4 socket agree.
 *
 * Validation is node's `isIP`; canonicalisation is the WHATWG URL host
 * serializer, so no address grammar is parsed here.
 *
 * @example
 * normalizeIp('::FFFF:203.0.113.7'); // '203.0.113.7'
 * normalizeIp('2001:DB8:0:0::1');    // '2001:db8::1'
 * normalizeIp('unknown');            // undefined
 */
export function normalizeIp(text: string): string | undefined {
  const family = isIP(text);
  if (family === 4) return text;
  if (family !== 6) return undefined;
  const zone = text.indexOf('%');
  const bare = zone === -1 ? text : text.slice(0, zone);
  // Fast path for the form a dual-stack socket reports for IPv4 peers.
  if (bare.length > 7 && bare.slice(0, 7).toLowerCase() === '::ffff:' && isIP(bare.slice(7)) === 4) {
    return bare.slice(7);
  }
  const canonical = canonicalIpv6(bare);
  const groups = ipv6Groups(canonical);
  if (isMapped(groups)) {
    const high = groups[6] as number;
    const low = groups[7] as number;
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  return canonical;
}

/**
 * The rate-limit key of a canonical address: IPv4 as is; IPv6 reduced to its
 * `/prefix` network (`2001:db8:1:2::/64`), because one subscriber usually
 * holds a whole /64 and could otherwise rotate through 2^64 addresses.
 * `prefix: false` (or 128) keys each IPv6 address on its own.
 *
 * @example
 * addressKey('2001:db8:1:2:aaaa::1', 64); // '2001:db8:1:2::/64'
 * addressKey('203.0.113.7', 64);          // '203.0.113.7'
 */
export function addressKey(ip: string, prefix: number | false): string {
  if (prefix === false || prefix === 128 || !ip.includes(':')) return ip;
  const groups = ipv6Groups(ip);
  for (let i = 0; i < 8; i++) {
    const start = i * 16;
    if (start >= prefix) groups[i] = 0;
    else if (start + 16 > prefix) groups[i] = (groups[i] as number) & (0xffff << (16 - (prefix - start))) & 0xffff;
  }
  return `${canonicalIpv6(groups.map((g) => g.toString(16)).join(':'))}/${prefix}`;
}

function canonicalIpv6(address: string): string {
  const host = new URL(`http://[${address}]/`).hostname;
  return host.slice(1, -1);
}

/** The eight 16-bit groups of a canonical (hex-only, compressed) IPv6 address. */
function ipv6Groups(canonical: string): number[] {
  const split = canonical.indexOf('::');
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  if (split === -1) return parse(canonical);
  const head = parse(canonical.slice(0, split));
  const tail = parse(canonical.slice(split + 2));
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

function isMapped(groups: readonly number[]): boolean {
  for (let i = 0; i < 5; i++) if (groups[i] !== 0) return false;
  return groups[5] === 0xffff;
}
