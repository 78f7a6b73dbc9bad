/**
 * What flowgate keeps on one request (the adapters' `tag`): the limiters
 * that decided it, for `FG_HTTP_DOUBLE_COUNT`, and the header lists earlier
 * middlewares wrote, so that a stacked one appends to them. One object per
 * request (see {@link requestState} for where it is kept).
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
  /** The decision `req.rateLimit` reads, where it is an accessor (see `publishDecision`). */
  decision: unknown = undefined;
}

const STATE = Symbol('flowgate.request');
/** The states of requests whose prototype was replaced (see {@link requestState}). */
const ASIDE = new WeakMap<object, RequestState>();
let lastPrototype: object | null = null;
let lastAside = false;

/**
 * Whether objects with this prototype keep their state aside, in a WeakMap.
 * A prototype without its own `constructor` is one made by `Object.create`:
 * Express gives each request its app's (`Object.setPrototypeOf(req,
 * app.request)`), and V8 does not reuse the hidden class that adding a
 * property to such a request creates. A property would cost a new hidden
 * class (a copy of ~40 property descriptors) per request, ~20k instructions;
 * a WeakMap entry costs ~4k. Other requests (node's, Fastify's raw, Koa's
 * `ctx.req`, Hono's context) share hidden classes: a property costs least.
 */
export function keptAside(tag: object): boolean {
  const prototype = prototypeOf(tag);
  if (prototype !== lastPrototype) {
    lastPrototype = prototype;
    lastAside = prototype !== null && !Object.hasOwn(prototype, 'constructor');
  }
  return lastAside;
}

// Whether `__proto__` reads prototypes here: node's --disable-proto=delete removes the accessor, =throw makes it throw.
const PROTO_ACCESSOR = ((): boolean => {
  try {
    // biome-ignore lint/suspicious/noProto: probing the accessor that prototypeOf() relies on
    return ({} as { __proto__?: unknown }).__proto__ === Object.prototype;
  } catch {
    return false;
  }
})();

/**
 * `Object.getPrototypeOf(value)`, through the `__proto__` accessor where node
 * has it and the value inherits it: V8 inlines that load into the caller,
 * while `Object.getPrototypeOf` stays a call, ~170 instructions on every
 * request (measured on a node `IncomingMessage`). An object without
 * `Object.prototype` in its chain has no accessor: it takes the call.
 */
export function prototypeOf(value: object): object | null {
  if (!PROTO_ACCESSOR) return Object.getPrototypeOf(value) as object | null;
  // biome-ignore lint/suspicious/noProto: inlined by V8, unlike Object.getPrototypeOf (see above)
  const prototype = (value as { __proto__?: unknown }).__proto__;
  return typeof prototype === 'object' ? (prototype as object | null) : (Object.getPrototypeOf(value) as object | null);
}

/** The state of the request `tag`, created on first use. */
export function requestState(tag: object): RequestState {
  if (keptAside(tag)) {
    let state = ASIDE.get(tag);
    if (state === undefined) {
      state = new RequestState();
      ASIDE.set(tag, state);
    }
    return state;
  }
  const bag = tag as { [STATE]?: RequestState };
  let state = bag[STATE];
  if (state === undefined) {
    state = new RequestState();
    try {
      bag[STATE] = state;
    } catch {
      // A request that takes no property (frozen, sealed, not extensible): its state is kept aside.
      // A try costs nothing until it throws, where Object.isExtensible would be a call per request.
      return asideOf(tag, state);
    }
  }
  return state;
}

/** The state kept aside for `tag`, or `fresh`, kept aside now. */
function asideOf(tag: object, fresh: RequestState): RequestState {
  const state = ASIDE.get(tag);
  if (state !== undefined) return state;
  ASIDE.set(tag, fresh);
  return fresh;
}

/** The state of a request kept aside (see {@link keptAside}), if it has one; creates none. */
export function asideState(tag: object): RequestState | undefined {
  return ASIDE.get(tag);
}

/** The state of `tag` if it has one, wherever it is kept; creates none. */
export function knownState(tag: object): RequestState | undefined {
  return (tag as { [STATE]?: RequestState })[STATE] ?? ASIDE.get(tag);
}
