import { addressKey, normalizeIp } from './address.js';
import { forwardedChain, type HeaderBag, type ProxyHeader } from './forwarded.js';
import type { TrustFunction } from './trust.js';

/** How a client is identified from its connection and, through trusted proxies, its headers. */
export interface IdentitySettings {
  /** From `compileTrust`; `undefined` trusts no proxy and uses the socket address. */
  readonly trust: TrustFunction | undefined;
  /** The one header trusted proxies set. @default 'x-forwarded-for' */
  readonly proxyHeader: ProxyHeader;
  /** IPv6 grouping prefix length, or `false` for one key per address. @default 64 */
  readonly ipv6Subnet: number | false;
}

/**
 * The client's address: the socket peer, unless that peer is a trusted proxy,
 * in which case the walk continues leftwards through the proxy header (nearest
 * hop last) while each hop is trusted. The walk stops at the first untrusted
 * hop, at the leftmost entry, or at an entry that is not an IP address (then
 * the proxy that reported it is used, never a client-chosen value).
 * `undefined` when the socket address is unknown.
 *
 * @example
 * const trust = (_ip: string, hop: number) => hop < 1; // trustProxy: 1
 * clientAddress('10.0.0.2', { 'x-forwarded-for': '6.6.6.6, 203.0.113.7' }, trust, 'x-forwarded-for'); // '203.0.113.7'
 */
export function clientAddress(
  socketAddress: string | undefined,
  headers: HeaderBag,
  trust: TrustFunction | undefined,
  proxyHeader: ProxyHeader,
): string | undefined {
  if (socketAddress === undefined) return undefined;
  let current = normalizeIp(socketAddress);
  if (current === undefined || trust === undefined || headers[proxyHeader] === undefined) return current;
  const chain = forwardedChain(headers, proxyHeader);
  let hop = 0;
  for (let i = chain.length - 1; i >= 0; i--, hop++) {
    if (!trust(current, hop)) return current;
    const next = chain[i];
    if (next === undefined) return current;
    current = next;
  }
  return current;
}

/**
 * The default rate-limit key of a request: its client address, with IPv6
 * grouped by `ipv6Subnet`. `undefined` when the address is unknown.
 *
 * @example
 * clientKey('2001:db8::1', {}, { trust: undefined, proxyHeader: 'x-forwarded-for', ipv6Subnet: 64 }); // '2001:db8::/64'
 */
export function clientKey(
  socketAddress: string | undefined,
  headers: HeaderBag,
  settings: IdentitySettings,
): string | undefined {
  const address = clientAddress(socketAddress, headers, settings.trust, settings.proxyHeader);
  return address === undefined ? undefined : addressKey(address, settings.ipv6Subnet);
}

/** Entries each {@link ClientKeys} memo holds: a few hundred bytes each at most, so well under a megabyte. */
const MEMO_SIZE = 2048;

/**
 * {@link clientKey} with a small memo, for the per-request path. Canonicalising
 * an address costs ~0.4 µs for an IPv4-mapped peer and ~6 µs for IPv6 (the URL
 * host serializer, twice), while a keep-alive connection reports the same
 * address string on every request. The key of an address that needs no proxy
 * header is a pure function of that string, so it is memoised, keyed by the
 * raw string; so is the IPv6 grouping of an address reached through trusted
 * proxies. Each memo is bounded (oldest entry out first), so a flood of
 * distinct addresses costs memory no larger than {@link MEMO_SIZE} entries.
 *
 * @example
 * const keys = new ClientKeys({ trust: undefined, proxyHeader: 'x-forwarded-for', ipv6Subnet: 64 });
 * keys.keyOf('::ffff:203.0.113.7', {}); // '203.0.113.7' (computed once, then from the memo)
 */
export class ClientKeys {
  /** Socket address → key, for requests whose key does not depend on a proxy header. */
  private readonly bySocket = new Map<string, string | null>();
  /** Canonical client address (from a trusted proxy's header) → key. */
  private readonly byAddress = new Map<string, string>();

  constructor(private readonly settings: IdentitySettings) {}

  /** The same answer as `clientKey(socketAddress, headers, settings)`. */
  keyOf(socketAddress: string | undefined, headers: HeaderBag): string | undefined {
    if (socketAddress === undefined) return undefined;
    const { trust, proxyHeader, ipv6Subnet } = this.settings;
    if (trust !== undefined && headers[proxyHeader] !== undefined) {
      const address = clientAddress(socketAddress, headers, trust, proxyHeader);
      if (address === undefined) return undefined;
      // IPv4 keys are the address itself: nothing worth remembering.
      if (!address.includes(':')) return address;
      let key = this.byAddress.get(address);
      if (key === undefined) {
        key = addressKey(address, ipv6Subnet);
        remember(this.byAddress, address, key);
      }
      return key;
    }
    const known = this.bySocket.get(socketAddress);
    if (known !== undefined) return known ?? undefined;
    const address = normalizeIp(socketAddress);
    const key = address === undefined ? undefined : addressKey(address, ipv6Subnet);
    remember(this.bySocket, socketAddress, key ?? null);
    return key;
  }
}

function remember<V>(memo: Map<string, V>, key: string, value: V): void {
  if (memo.size >= MEMO_SIZE) memo.delete(memo.keys().next().value as string);
  memo.set(key, value);
}
