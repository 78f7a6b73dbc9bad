import type { IssueList } from '../errors.js';
import type { ProxyHeader } from './forwarded.js';
import { HEADERS_MODES, isSfStringSafe } from './headers.js';
import type { IdentitySettings } from './identity.js';
import type { HttpOptions } from './options.js';
import { compileTrust } from './trust.js';
import { isLimiter } from './wiring.js';

const PROXY_HEADERS: readonly ProxyHeader[] = ['x-forwarded-for', 'forwarded', 'x-real-ip'];

/**
 * Checks the options every adapter shares, adding each mistake to `issues`
 * (all are reported at once), and returns how the client is identified.
 */
export function checkHttpOptions<Req, Res>(
  issues: IssueList,
  scope: string,
  options: HttpOptions<Req, Res>,
): IdentitySettings {
  const { limiter, headers, policyName, proxyHeader, ipv6Subnet, maxDelayMs, logger, validate } = options;
  if (!isLimiter(limiter) && typeof limiter !== 'function') {
    issues.add(
      'FG_LIMITER_INVALID',
      `${scope}.limiter`,
      limiter,
      'a RateLimiter created once at start-up, or a function of the request returning one (tiers)',
    );
  }
  for (const name of ['key', 'cost', 'skip', 'countResponse'] as const) {
    const value = options[name];
    if (value !== undefined && typeof value !== 'function') {
      issues.add(
        'FG_HTTP_OPTION_INVALID',
        `${scope}.${name}`,
        value,
        name === 'countResponse' ? 'a function of the response' : 'a function of the request',
      );
    }
  }
  if (!HEADERS_MODES.includes(headers as never) && headers !== undefined) {
    issues.add('FG_HEADERS_INVALID', `${scope}.headers`, headers, "one of 'draft-10', 'legacy', 'both', false");
  }
  if (policyName !== undefined && !isSfStringSafe(policyName)) {
    issues.add('FG_POLICY_NAME_INVALID', `${scope}.policyName`, policyName, 'a non-empty string of printable ASCII');
  }
  if (proxyHeader !== undefined && !PROXY_HEADERS.includes(proxyHeader)) {
    issues.add('FG_PROXY_HEADER_INVALID', `${scope}.proxyHeader`, proxyHeader, `one of ${PROXY_HEADERS.join(', ')}`);
  }
  if (
    ipv6Subnet !== undefined &&
    ipv6Subnet !== false &&
    !(typeof ipv6Subnet === 'number' && Number.isInteger(ipv6Subnet) && ipv6Subnet >= 1 && ipv6Subnet <= 128)
  ) {
    issues.add('FG_IPV6_SUBNET_INVALID', `${scope}.ipv6Subnet`, ipv6Subnet, 'a prefix length from 1 to 128, or false');
  }
  if (
    maxDelayMs !== undefined &&
    maxDelayMs !== Number.POSITIVE_INFINITY &&
    !(typeof maxDelayMs === 'number' && Number.isInteger(maxDelayMs) && maxDelayMs >= 0)
  ) {
    issues.add(
      'FG_MAX_DELAY_INVALID',
      `${scope}.maxDelayMs`,
      maxDelayMs,
      'a whole number of milliseconds >= 0, or Infinity',
    );
  }
  if (logger !== undefined && (typeof logger?.warn !== 'function' || typeof logger?.error !== 'function')) {
    issues.add('FG_HTTP_OPTION_INVALID', `${scope}.logger`, logger, 'an object with warn(message) and error(message)');
  }
  if (validate !== undefined && typeof validate !== 'boolean') {
    issues.add('FG_HTTP_OPTION_INVALID', `${scope}.validate`, validate, 'true or false');
  }
  return {
    trust: compileTrust(issues, `${scope}.trustProxy`, options.trustProxy),
    proxyHeader: proxyHeader ?? 'x-forwarded-for',
    ipv6Subnet: ipv6Subnet ?? 64,
  };
}
