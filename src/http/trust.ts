import { BlockList, isIP } from 'node:net';
import type { IssueList } from '../errors.js';

/**
 * Which peers may tell us who the client is.
 * - a number `n`: the `n` proxies nearest to this server are trusted (hop count);
 * - addresses and CIDRs (`'10.0.0.0/8'`, `'fd00::/8'`, `'203.0.113.7'`), as an
 *   array or a comma-separated string, and the names `'loopback'`,
 *   `'linklocal'`, `'uniquelocal'`: a peer is trusted when its address is listed;
 * - `false` or `0`: trust nobody (the default, stated explicitly).
 */
export type TrustProxy = number | string | readonly string[] | false;

/** Decides whether the peer at `address`, `hop` proxies away from this server (0 = the socket peer), is trusted. */
export type TrustFunction = (address: string, hop: number) => boolean;

// The same names and ranges as Express's `trust proxy` / proxy-addr.
const NAMED: Record<string, readonly string[]> = {
  loopback: ['127.0.0.1/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

const EXPECTED =
  'a hop count (a whole number >= 0), false, or addresses/CIDRs such as ' +
  "['10.0.0.0/8', '::1', 'loopback'] (an array or a comma-separated string)";

/**
 * Compiles the `trustProxy` option. Returns `undefined` when nobody is trusted
 * (then only the socket address counts), and records an issue when the value
 * is invalid.
 */
export function compileTrust(issues: IssueList, option: string, value: unknown): TrustFunction | undefined {
  if (value === undefined || value === false || value === 0) return undefined;
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value > 0) return (_address, hop) => hop < value;
    issues.add('FG_TRUST_PROXY_INVALID', option, value, EXPECTED);
    return undefined;
  }
  const entries = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value : undefined;
  if (entries === undefined || entries.length === 0) {
    issues.add('FG_TRUST_PROXY_INVALID', option, value, EXPECTED);
    return undefined;
  }
  const list = new BlockList();
  for (const raw of entries) {
    const entry = typeof raw === 'string' ? raw.trim() : raw;
    if (typeof entry !== 'string' || !addEntry(list, entry)) {
      issues.add('FG_TRUST_PROXY_INVALID', option, entry, EXPECTED);
      return undefined;
    }
  }
  return (address) => list.check(address, address.includes(':') ? 'ipv6' : 'ipv4');
}

function addEntry(list: BlockList, entry: string): boolean {
  const named = NAMED[entry];
  if (named) return named.every((cidr) => addEntry(list, cidr));
  const slash = entry.indexOf('/');
  const address = slash === -1 ? entry : entry.slice(0, slash);
  const family = isIP(address);
  if (family === 0) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (slash === -1) {
    list.addAddress(address, type);
    return true;
  }
  const prefixText = entry.slice(slash + 1);
  const prefix = Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText) || prefix > (family === 4 ? 32 : 128)) return false;
  list.addSubnet(address, prefix, type);
  return true;
}
