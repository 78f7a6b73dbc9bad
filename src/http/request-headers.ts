import type { HeaderBag } from './forwarded.js';

/** The proxy headers of a fetch `Request`, for runtimes without a node request. */
export function proxyHeaders(headers: Headers): HeaderBag {
  return {
    'x-forwarded-for': headers.get('x-forwarded-for') ?? undefined,
    forwarded: headers.get('forwarded') ?? undefined,
    'x-real-ip': headers.get('x-real-ip') ?? undefined,
  };
}
