/**
 * What flowgate keeps on one request, on the request object itself (the
 * adapters' `tag`): the limiters that decided it, for `FG_HTTP_DOUBLE_COUNT`,
 * and the header lists earlier middlewares wrote, so that a stacked one
 * appends to them. One object under one property: each property added to a
 * request costs a hidden-class transition (a dictionary insert on Express's
 * requests, which carry many), so a request gains one, not one per concern.
 */
export class RequestState {
  /** The first limiter that decided this request, and its key; further pairs go to `more`. */
  limiter: object | undefined = undefined;
  key = '';
  more: unknown[] | undefined = undefined;
  /** The item names earlier middlewares sent, `undefined` until one wrote its headers. */
  names: readonly string[] | undefined = undefined;
  /** The `RateLimit-Policy` and `RateLimit` values sent so far. */
  policy = '';
  rateLimit = '';
  /** The `remaining` of the legacy `X-RateLimit-*` headers sent so far. */
  legacyRemaining = Number.POSITIVE_INFINITY;
}

const STATE = Symbol('flowgate.request');

/** The state of the request `tag`, created on first use. */
export function requestState(tag: object): RequestState {
  const bag = tag as { [STATE]?: RequestState };
  let state = bag[STATE];
  if (state === undefined) {
    state = new RequestState();
    bag[STATE] = state;
  }
  return state;
}
