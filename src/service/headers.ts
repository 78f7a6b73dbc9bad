import { sfString } from '../http/headers.js';

/** One descriptor's limit, as the RateLimit headers describe it. */
export interface HeaderItem {
  /** The rule's `rate_limit.name`, else its full key. */
  readonly name: string;
  readonly quota: number;
  readonly windowMs: number;
  readonly remaining: number;
  /** Until the client should look again: the reset when admitted, the wait when refused. */
  readonly resetMs: number;
  readonly allowed: boolean;
}

/**
 * `response_headers_to_add`: the draft-ietf-httpapi-ratelimit-headers-10
 * `RateLimit-Policy` and `RateLimit` lists, one named item per descriptor
 * with a limit (as `flowgate/express` writes several limits), and on a
 * refusal `Retry-After`, never earlier than the `t` of a refusing item.
 *
 * @example
 * draftHeaders([{ name: 'per-ip', quota: 3, windowMs: 60_000, remaining: 2, resetMs: 40_000, allowed: true }], false);
 * // [{ key: 'RateLimit-Policy', value: '"per-ip";q=3;w=60' }, { key: 'RateLimit', value: '"per-ip";r=2;t=40' }]
 */
export function draftHeaders(items: readonly HeaderItem[], refused: boolean): { key: string; value: string }[] {
  if (items.length === 0) return [];
  const policy: string[] = [];
  const state: string[] = [];
  let retryAfter = 0;
  for (const item of items) {
    const name = sfString(printable(item.name));
    const t = Math.ceil(item.resetMs / 1000);
    policy.push(`${name};q=${item.quota};w=${Math.max(1, Math.ceil(item.windowMs / 1000))}`);
    state.push(`${name};r=${item.remaining};t=${t}`);
    if (!item.allowed) retryAfter = Math.max(retryAfter, t);
  }
  const headers = [
    { key: 'RateLimit-Policy', value: policy.join(', ') },
    { key: 'RateLimit', value: state.join(', ') },
  ];
  if (refused) headers.push({ key: 'Retry-After', value: String(retryAfter) });
  return headers;
}

/** A Structured Field String holds printable ASCII only; anything else in a key becomes `?`. */
function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}
