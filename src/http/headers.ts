import type { Decision } from '../policies/decision.js';
import type { LimitSpec, SetDecision } from '../policies/limit-set.js';
import type { Policy } from '../policies/policy.js';
import { decimal } from './decimal.js';
import { RateLimitText, resetParam } from './rate-limit-text.js';
import { type RequestState, requestState } from './request-state.js';

/**
 * Which rate-limit headers to send on every response (429 included):
 * - `'draft-10'`: `RateLimit-Policy` and `RateLimit` as in
 *   draft-ietf-httpapi-ratelimit-headers-10 (unchanged in -11);
 * - `'legacy'`: `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset`
 *   (Unix time in seconds, as GitHub and express-rate-limit send it);
 * - `'both'`; `false` for none. `Retry-After` is sent on a 429 in every mode.
 */
export type HeadersMode = 'draft-10' | 'legacy' | 'both' | false;

export const HEADERS_MODES: readonly HeadersMode[] = ['draft-10', 'legacy', 'both', false];

/** The header names as sent. */
export interface HeaderNames {
  readonly policy: string;
  readonly rateLimit: string;
  readonly limit: string;
  readonly remaining: string;
  readonly reset: string;
  readonly retryAfter: string;
}

const NAMES: HeaderNames = {
  policy: 'RateLimit-Policy',
  rateLimit: 'RateLimit',
  limit: 'X-RateLimit-Limit',
  remaining: 'X-RateLimit-Remaining',
  reset: 'X-RateLimit-Reset',
  retryAfter: 'Retry-After',
};

// For adapters whose framework lowercases every name it is given (Fastify's reply.header,
// node's setHeader, which keys its table by the lowercased name; Express and Koa go
// through it): an already-lowercase literal spares a string and its look-up per header
// per request. Node then sends the name as given, so these go out in lowercase.
const LOWERCASE_NAMES: HeaderNames = {
  policy: 'ratelimit-policy',
  rateLimit: 'ratelimit',
  limit: 'x-ratelimit-limit',
  remaining: 'x-ratelimit-remaining',
  reset: 'x-ratelimit-reset',
  retryAfter: 'retry-after',
};

/** One named item of the `RateLimit-Policy` and `RateLimit` lists: one enforced limit. */
export interface HeaderItem {
  /** The item's name as sent, e.g. `perUser` (also its name in `violated-policies`). */
  readonly name: string;
  /** The limit's name in the limiter (the key of `SetDecision.limits`). */
  readonly limitName: string;
  /** The item's `RateLimit-Policy` parameters, `;q=...;w=...`. */
  readonly params: string;
  /** The start of the item in `RateLimit`, `"name";r=`: serialised once, not per request. */
  readonly rateLimitPrefix: string;
  /** Builds this item of `RateLimit` per request (see {@link RateLimitText}). */
  readonly rateLimitText: RateLimitText;
}

/** Header values that do not depend on the request, computed once per middleware and limiter. */
export interface HeaderPlan {
  readonly draft: boolean;
  readonly legacy: boolean;
  /**
   * The enforced limits, one item each. Shadow limits have none: a client
   * that saw them would back off because of a limit that is not enforced.
   */
  readonly items: readonly HeaderItem[];
  /** The items' names, computed once: the common case (no stacked middleware) allocates none per request. */
  readonly itemNames: readonly string[];
  /** The whole `RateLimit-Policy` value, e.g. `"default";q=100;w=60`. */
  readonly policyValue: string;
  /** Names as given, or all lowercase (HTTP names are case-insensitive). */
  readonly names: HeaderNames;
}

/**
 * Plans the headers of one middleware for one limiter: an item per enforced
 * limit. `policyName` names the item of a one-limit limiter, and prefixes
 * the limit names of a set (`"api.perUser"`); unset, items carry the limit
 * names (`'default'` for a limiter built with one `policy`). `w` is the
 * policy's window in whole seconds, rounded up so that a client never
 * assumes a faster rate than the real one.
 *
 * @example
 * planHeaders(fixedWindow({ limit: 100, window: '1m' }), 'draft-10', 'default').policyValue; // '"default";q=100;w=60'
 */
export function planHeaders(
  limits: Policy | readonly LimitSpec[],
  mode: HeadersMode,
  policyName: string | undefined,
  lowerCaseNames = false,
): HeaderPlan {
  const specs: readonly LimitSpec[] = Array.isArray(limits)
    ? limits
    : [{ name: 'default', policy: limits as Policy, shadow: false }];
  const items: HeaderItem[] = [];
  for (const spec of specs) {
    if (spec.shadow) continue;
    const name = policyName === undefined ? spec.name : specs.length === 1 ? policyName : `${policyName}.${spec.name}`;
    const w = Math.max(1, Math.ceil(spec.policy.windowMs / 1000));
    const prefix = `${sfString(name)};r=`;
    items.push({
      name,
      limitName: spec.name,
      params: `;q=${spec.policy.limit};w=${w}`,
      rateLimitPrefix: prefix,
      rateLimitText: new RateLimitText(prefix),
    });
  }
  return {
    draft: mode === 'draft-10' || mode === 'both',
    legacy: mode === 'legacy' || mode === 'both',
    items,
    itemNames: items.map((item) => item.name),
    policyValue: policyList(items, undefined),
    names: lowerCaseNames ? LOWERCASE_NAMES : NAMES,
  };
}

/**
 * Seconds until the client should look again, rounded up: until the key is
 * back at full capacity when admitted, and until the same request would be
 * admitted when denied. On a 429 this is also the `Retry-After` value, so the
 * two fields name the same instant, as the draft asks.
 */
export function resetSeconds(decision: Decision): number {
  return Math.ceil((decision.allowed ? decision.resetMs : decision.retryAfterMs) / 1000);
}

/** The decision of one limit: its own in a set's decision, else the decision itself. */
export function limitDecision(decision: Decision, limitName: string): Decision {
  return (decision as Partial<SetDecision>).limits?.[limitName] ?? decision;
}

/** The `RateLimit` value of one decision, e.g. `"default";r=42;t=17, "org";r=900;t=60`. */
export function rateLimitValue(plan: HeaderPlan, decision: Decision, names?: readonly string[]): string {
  const { items } = plan;
  // One limit, as most middlewares have: its decision is the decision itself.
  if (items.length === 1 && names === undefined) {
    return (items[0] as HeaderItem).rateLimitText.item(decision.remaining, resetSeconds(decision));
  }
  let value = '';
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as HeaderItem;
    const own = limitDecision(decision, item.limitName);
    const prefix = names === undefined ? item.rateLimitPrefix : `${sfString(names[i] as string)};r=`;
    value += `${i === 0 ? '' : ', '}${prefix}${decimal(own.remaining)}${resetParam(resetSeconds(own))}`;
  }
  return value;
}

/**
 * Sets the planned headers of `decision` through `set` (the adapter's own
 * header setter, called as `set(target, name, value)` so that no closure is
 * allocated per request) and returns the item names used: the plan's, or
 * renamed ones (`"default-2"`) where an earlier middleware on the same request
 * already sent an item of that name; `onCollision` then hears of it. `nowMs`
 * only feeds the legacy `X-RateLimit-Reset`. Legacy headers hold one limit:
 * the one with the least `remaining` among the stacked middlewares. `known`
 * is the state of the request `tag` if the caller already has it.
 */
export function writeHeaders<T>(
  plan: HeaderPlan,
  decision: Decision,
  target: T,
  set: (target: T, name: string, value: string) => void,
  nowMs: number,
  tag: object = {},
  onCollision?: (name: string, renamed: string) => void,
  known?: RequestState,
): readonly string[] {
  const names = plan.names;
  let itemNames = plan.itemNames;
  if (plan.items.length > 0 && (plan.draft || plan.legacy)) {
    const state = known ?? requestState(tag);
    const prior = state.names;
    if (prior !== undefined) itemNames = unique(itemNames, prior, onCollision);
    const renamed = prior !== undefined && itemNames.some((n, i) => n !== plan.items[i]?.name);
    const policy = renamed ? policyList(plan.items, itemNames) : plan.policyValue;
    const rateLimit = rateLimitValue(plan, decision, renamed ? itemNames : undefined);
    if (prior === undefined) {
      state.names = itemNames;
      state.policy = policy;
      state.rateLimit = rateLimit;
    } else {
      state.names = [...prior, ...itemNames];
      state.policy = `${state.policy}, ${policy}`;
      state.rateLimit = `${state.rateLimit}, ${rateLimit}`;
    }
    if (plan.draft) {
      set(target, names.policy, flattened(state.policy));
      set(target, names.rateLimit, flattened(state.rateLimit));
    }
    if (plan.legacy && decision.remaining < state.legacyRemaining) {
      state.legacyRemaining = decision.remaining;
      set(target, names.limit, String(decision.limit));
      set(target, names.remaining, String(decision.remaining));
      set(target, names.reset, String(Math.ceil(nowMs / 1000) + resetSeconds(decision)));
    }
  }
  if (!decision.allowed) set(target, names.retryAfter, String(resetSeconds(decision)));
  return itemNames;
}

// Where flattened() puts the character it reads, so that the read is not optimised away.
const sink = { firstChar: 0 };

/**
 * `value`, flattened. A string built by concatenation is a rope (a V8 cons
 * string), and node checks every header value it sends with a regular
 * expression, which on a rope leaves the compiled matcher for V8's runtime
 * (flattening the rope there): ~0.55k instructions per header on Fastify.
 * Reading one character flattens the rope in place for ~0.1k, and the check
 * then takes the fast path. A flat string (the `RateLimit-Policy` of one
 * middleware, built once) costs a load.
 */
function flattened(value: string): string {
  sink.firstChar = value.charCodeAt(0);
  return value;
}

/** The `RateLimit-Policy` list of `items`, under `names` if given. */
function policyList(items: readonly HeaderItem[], names: readonly string[] | undefined): string {
  return items
    .map((item, i) => `${sfString(names === undefined ? item.name : (names[i] as string))}${item.params}`)
    .join(', ');
}

/** `wanted`, each name that is already `taken` renamed `name-2`, `name-3`, ... */
function unique(
  wanted: readonly string[],
  taken: readonly string[],
  onCollision: ((name: string, renamed: string) => void) | undefined,
): string[] {
  const used = new Set(taken);
  return wanted.map((name) => {
    let out = name;
    for (let n = 2; used.has(out); n++) out = `${name}-${n}`;
    if (out !== name) onCollision?.(name, out);
    used.add(out);
    return out;
  });
}

/** Serialises a Structured Field String (RFC 9651 §4.1.6): printable ASCII, `"` and `\` escaped. */
export function sfString(text: string): string {
  return `"${text.replace(/[\\"]/g, '\\$&')}"`;
}

/** Whether `text` can be a Structured Field String: non-empty printable ASCII. */
export function isSfStringSafe(text: unknown): text is string {
  return typeof text === 'string' && /^[\x20-\x7e]+$/.test(text);
}
