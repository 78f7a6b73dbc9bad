import type { RateLimitInfo } from './options.js';
import { asideState, keptAside, knownState, type RequestState, requestState } from './request-state.js';

/** The request as the handler finds it: the decision on `rateLimit`. */
interface Decided {
  rateLimit?: RateLimitInfo;
}

/** Prototypes on which `rateLimit` is flowgate's accessor. */
const ACCESSOR_ON = new WeakSet<object>();
let lastPrototype: object | null = null;
let lastAccessor = false;

// Reads the decision from the request's state; an assignment (express-rate-limit makes one, so may the
// user) defines an own property, as it would without the accessor, which then hides the accessor.
const ACCESSOR: PropertyDescriptor = {
  configurable: true,
  enumerable: false,
  get(this: object): unknown {
    return asideState(this)?.decision;
  },
  set(this: object, value: unknown): void {
    Object.defineProperty(this, 'rateLimit', { value, writable: true, enumerable: true, configurable: true });
  },
};

/**
 * Whether `req.rateLimit` is flowgate's accessor, defining it on the
 * request's prototype if that prototype is one whose requests keep their
 * state aside (Express's `app.request`, see {@link keptAside}) and nothing in
 * its chain has a `rateLimit` yet. A mounted Express sub-app's `request`
 * inherits from its parent's, and so the parent's accessor. Idempotent.
 */
function accessorOn(req: object): boolean {
  const prototype = Object.getPrototypeOf(req) as object | null;
  if (prototype !== lastPrototype) {
    lastPrototype = prototype;
    lastAccessor = prototype !== null && keptAside(req) && defined(prototype);
  }
  return lastAccessor;
}

function defined(prototype: object): boolean {
  for (let o: object | null = prototype; o !== null; o = Object.getPrototypeOf(o)) {
    if (Object.hasOwn(o, 'rateLimit')) return ACCESSOR_ON.has(o);
  }
  // A frozen or sealed prototype (the user's choice) takes no accessor: requests get a property.
  if (!Object.isExtensible(prototype)) return false;
  Object.defineProperty(prototype, 'rateLimit', ACCESSOR);
  ACCESSOR_ON.add(prototype);
  return true;
}

/**
 * Makes `decision` what `req.rateLimit` reads. On Express requests, whose
 * prototype Express replaces, adding an own property builds a hidden class
 * per request (~15-20k instructions, see `keptAside`): the decision goes to
 * the request's state instead, read through an accessor defined once on the
 * app's request prototype. Elsewhere, and once something assigned
 * `req.rateLimit` itself (an own property then hides the accessor), a plain
 * assignment. `known` is the request's state if the caller has it.
 */
export function publishDecision(req: object, decision: RateLimitInfo, known: RequestState | undefined): void {
  if (accessorOn(req)) {
    const state = known ?? requestState(req);
    state.decision = decision;
    if (!Object.hasOwn(req, 'rateLimit')) return;
  }
  assignDecision(req, decision, req, known);
}

/**
 * `holder.rateLimit = decision` (the request, Koa's `ctx.state`), or, where
 * that throws (a frozen, sealed or non-extensible holder, a read-only
 * `rateLimit`, a `ctx.state` that is not an object), the decision kept in
 * the state of `tag`, where {@link keptDecision} finds it. A request the user
 * froze is decided and served all the same: the assignment used to throw into
 * the framework's error path (a 500), and with an asynchronous store out of a
 * promise callback (an unhandled rejection). A try costs nothing until it throws.
 */
export function assignDecision(holder: unknown, decision: RateLimitInfo, tag: object, known?: RequestState): void {
  try {
    (holder as Decided).rateLimit = decision;
  } catch {
    (known ?? requestState(tag)).decision = decision;
  }
}

/**
 * The decision flowgate last published for the request `tag`: the one kept
 * in its state (an Express request's, or one whose holder took no
 * property: see {@link assignDecision}), else `holder.rateLimit`.
 */
export function keptDecision(tag: object, holder: unknown = tag): RateLimitInfo | undefined {
  const kept = knownState(tag)?.decision as RateLimitInfo | undefined;
  if (kept !== undefined) return kept;
  return (holder as Decided | null | undefined)?.rateLimit;
}
