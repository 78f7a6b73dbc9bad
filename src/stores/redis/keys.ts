import type { LimitSpec } from '../../policies/limit-set.js';
import type { Policy } from '../../policies/policy.js';

/**
 * Redis key names. A key is `{<prefix>:<key>}:<algorithm>:<unit>` for a
 * limiter with one policy (its limit is named 'default'), and
 * `{<prefix>:<key>}:<algorithm>:<unit>:<name>` for limit `name` of a set,
 * however many limits the set has. The braces are the hash tag: every limit of
 * one logical key shares a cluster slot (so a set with one key for all is
 * decided by one script), while the sub-keys of a sharded limiter (prefixes
 * `<prefix>:shard<i>`) land on different slots, which is the point of
 * sharding. With a `hashTag`, every key of the binding is
 * `{<hashTag>}:<algorithm>:<unit>[:<name>]:<prefix>:<key>`: one slot for all.
 *
 * The algorithm and its unit (the window in ms, or the bucket's ticks per ms)
 * are in the name because they define what the stored state means: limiters
 * that differ in either never share state, and limiters that agree on both
 * share it whatever their limit, so a fleet agrees and a limit can be raised
 * without a reset.
 *
 * Escaping keeps distinct names distinct: `%` always, `}` inside a tag, and
 * `:` wherever a field boundary must stay unambiguous; lone UTF-16
 * surrogates (which clients would send as U+FFFD, merging keys) become
 * `%uXXXX`. Unicode and long keys otherwise pass through as they are.
 */

const TAG_SPECIALS = /[%}]/g;
// Code units, not code points (no 'u' flag): matches either half of a pair too.
const SURROGATE = /[\uD800-\uDFFF]/;
const FIELD_SPECIALS = /[%}:]/g;

const ALGORITHM_TAGS = {
  'fixed-window': 'fw',
  'sliding-window': 'sw',
  'sliding-log': 'sl',
  'token-bucket': 'tb',
  'leaky-bucket': 'lb',
} as const;

/** The script's code for a policy's algorithm. */
export function algorithmTag(policy: Policy): string {
  return ALGORITHM_TAGS[policy.algorithm];
}

/** What the stored state of `policy` is counted in: the window (ms), or the bucket's ticks per ms. */
function unitOf(policy: Policy): number {
  return policy.algorithm === 'token-bucket' || policy.algorithm === 'leaky-bucket'
    ? (policy.params[1] as number)
    : policy.windowMs;
}

function percent(char: string): string {
  return `%${char.charCodeAt(0).toString(16).toUpperCase()}`;
}

/** `text` with every lone surrogate written as `%uXXXX` (`%` is escaped before, so this cannot collide). */
function wellFormed(text: string): string {
  if (!SURROGATE.test(text)) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const high = code >= 0xd800 && code <= 0xdbff;
    const low = code >= 0xdc00 && code <= 0xdfff;
    if (high && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += text.slice(i, i + 2);
        i++;
        continue;
      }
    }
    out += high || low ? `%u${code.toString(16).toUpperCase()}` : text.charAt(i);
  }
  return out;
}

function escaped(text: string, specials: RegExp): string {
  // Most keys need no escaping: skip the regex replacement and its allocation.
  const plain = text.indexOf('%') < 0 && text.indexOf('}') < 0 && (specials === TAG_SPECIALS || text.indexOf(':') < 0);
  return wellFormed(plain ? text : text.replace(specials, percent));
}

/** Builds the Redis keys of one binding's limits. */
export class KeyNamer {
  /** Per limit: the constant text before the user key, and after it. */
  private readonly heads: readonly string[];
  private readonly tails: readonly string[];
  private readonly tagged: boolean;
  /**
   * Per limit, the last user key named and its Redis key: a hot key's callers ask for the same name over
   * and over, and get the same string (no escaping, no concatenation, and a batch can see the keys repeat).
   */
  private readonly lastKeys: (string | undefined)[];
  private readonly lastNames: string[];

  constructor(prefix: string, limits: readonly LimitSpec[], hashTag: string | undefined, sharedState = false) {
    // A limiter's one `policy` is the limit named 'default': its keys carry no name; nor do those of a
    // binding with shared state, so a limit keeps its keys whichever set it is part of (the service
    // builds sets per request shape).
    const suffixes = limits.map(
      (spec) =>
        `:${algorithmTag(spec.policy)}:${unitOf(spec.policy)}${spec.name === 'default' || sharedState ? '' : `:${escaped(spec.name, FIELD_SPECIALS)}`}`,
    );
    const escapedPrefix = escaped(prefix, FIELD_SPECIALS);
    this.tagged = hashTag !== undefined;
    if (hashTag === undefined) {
      this.heads = limits.map(() => `{${escapedPrefix}:`);
      this.tails = suffixes.map((suffix) => `}${suffix}`);
    } else {
      const tag = `{${escaped(hashTag, TAG_SPECIALS)}}`;
      this.heads = suffixes.map((suffix) => `${tag}${suffix}:${escapedPrefix}:`);
      this.tails = limits.map(() => '');
    }
    this.lastKeys = limits.map(() => undefined);
    this.lastNames = limits.map(() => '');
  }

  /** The Redis key of user key `key` for limit `i`. */
  key(i: number, key: string): string {
    if (key === this.lastKeys[i]) return this.lastNames[i] as string;
    // Inside a tag only `}` and `%` need escaping; after a hash tag, `:` too (fields follow no closing brace).
    const safe = escaped(key, this.tagged ? FIELD_SPECIALS : TAG_SPECIALS);
    const name = `${this.heads[i]}${safe}${this.tails[i]}`;
    this.lastKeys[i] = key;
    this.lastNames[i] = name;
    return name;
  }
}
