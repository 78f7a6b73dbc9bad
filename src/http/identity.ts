import { addressKey, normalizeIp } from './address.js';
import { END, type HeaderBag, MALFORMED, OPAQUE, type ProxyHeader, ProxyHeaderReader } from './forwarded.js';
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
 * The most proxies a walk goes through. Past it, the header is treated as
 * malformed: no deployment chains this many proxies, and with an address
 * list a client inside a trusted range could otherwise make every request
 * walk its whole header.
 */
export const MAX_PROXY_HOPS = 32;

/**
 * The client's address: the socket peer, unless that peer is a trusted proxy,
 * in which case the walk continues leftwards through the proxy header (nearest
 * hop last) while each hop is trusted. The walk stops at the first untrusted
 * hop, at the leftmost entry, or at an element that names no address
 * (`unknown`, an obfuscated `_name`: then the proxy that wrote it is used).
 * Only the elements the walk reaches are parsed, from the right, so nothing
 * a client writes on the left can alter what a trusted proxy appended. An
 * element the walk reaches that no proxy would write (a syntax error, a
 * non-address, an overlong element, more than {@link MAX_PROXY_HOPS} trusted
 * hops) makes the whole header untrusted: the socket address is used.
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
  return walkProxies(socketAddress, headers, trust, proxyHeader, new ProxyHeaderReader());
}

/** {@link clientAddress} with a reusable reader; `reader.problem` says why a header was not trusted ('' if it was). */
export function walkProxies(
  socketAddress: string | undefined,
  headers: HeaderBag,
  trust: TrustFunction | undefined,
  proxyHeader: ProxyHeader,
  reader: ProxyHeaderReader,
): string | undefined {
  reader.problem = '';
  if (socketAddress === undefined) return undefined;
  const socket = normalizeIp(socketAddress);
  if (socket === undefined || trust === undefined) return socket;
  const raw = headers[proxyHeader];
  if (raw === undefined || !trust(socket, 0)) return socket;
  reader.reset(proxyHeader, raw);
  let current = socket;
  for (let hop = 1; ; hop++) {
    const next = reader.next();
    if (next === MALFORMED) return socket;
    if (next === END || next === OPAQUE) return current;
    if (!trust(next, hop)) return next;
    if (hop === MAX_PROXY_HOPS) {
      reader.problem = `more than ${MAX_PROXY_HOPS} trusted proxies`;
      return socket;
    }
    current = next;
  }
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
  /** One reader for every request: the walk is synchronous, so it is never shared by two at once. */
  private readonly reader = new ProxyHeaderReader();

  /**
   * @param onMalformed called with the header and the reason when a proxy header is not trusted
   *   because of what the walk found in it (the request is then keyed by its socket address)
   */
  constructor(
    private readonly settings: IdentitySettings,
    private readonly onMalformed?: (header: ProxyHeader, problem: string) => void,
  ) {}

  /** The same answer as `clientKey(socketAddress, headers, settings)`. */
  keyOf(socketAddress: string | undefined, headers: HeaderBag): string | undefined {
    if (socketAddress === undefined) return undefined;
    const { trust, proxyHeader, ipv6Subnet } = this.settings;
    if (trust !== undefined && headers[proxyHeader] !== undefined) {
      const address = walkProxies(socketAddress, headers, trust, proxyHeader, this.reader);
      if (this.reader.problem !== '') this.onMalformed?.(proxyHeader, this.reader.problem);
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
