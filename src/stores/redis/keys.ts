/**
 * Redis key names. A key is `{<prefix>:<key>}`: the whole name is one hash
 * tag, so every key of one logical key would share a cluster slot, and the
 * sub-keys of a sharded limiter (prefixes `<prefix>:shard<i>`) land on
 * different slots, which is the point of sharding.
 *
 * Inside a tag only `}` is special (it would end the tag early), so the key
 * escapes `}` and the escape character `%`. The prefix also escapes `:`, so
 * the first `:` separates prefix from key and no two (prefix, key) pairs
 * share a name. Unicode and long keys pass through as they are.
 */

const KEY_SPECIALS = /[%}]/g;
const PREFIX_SPECIALS = /[%}:]/g;

function percent(char: string): string {
  return `%${char.charCodeAt(0).toString(16).toUpperCase()}`;
}

/** The constant start of every key of one binding, e.g. `{flowgate:`. */
export function keyHead(prefix: string): string {
  return `{${prefix.replace(PREFIX_SPECIALS, percent)}:`;
}

/** The Redis key for user key `key` under `head` (from {@link keyHead}). */
export function redisKey(head: string, key: string): string {
  // Most keys need no escaping: skip the regex replacement and its allocation.
  const safe = key.indexOf('}') < 0 && key.indexOf('%') < 0;
  return `${head}${safe ? key : key.replace(KEY_SPECIALS, percent)}}`;
}
