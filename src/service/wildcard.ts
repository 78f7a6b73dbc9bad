/**
 * Whether `value` (a request's `key_value`) matches a wildcard pattern split
 * at its stars. Each `*` stands for any run of characters, possibly empty, as
 * envoyproxy/ratelimit defines it (`foo*` a prefix, `bar*b` prefix and suffix,
 * `foo*bar*baz` the middle parts in order, without overlapping the ends).
 *
 * @example
 * matchesWildcard(['key_foo', ''], 'key_foobar'); // true
 */
export function matchesWildcard(parts: readonly string[], value: string): boolean {
  if (parts.length === 1) return parts[0] === value;
  const first = parts[0] as string;
  const last = parts[parts.length - 1] as string;
  let fixed = 0;
  for (const part of parts) fixed += part.length;
  if (value.length < fixed || !value.startsWith(first) || !value.endsWith(last)) return false;
  // The middle parts must fit, in order, between the prefix and the suffix.
  let rest = value.slice(first.length, value.length - last.length);
  for (let i = 1; i < parts.length - 1; i++) {
    const part = parts[i] as string;
    const at = rest.indexOf(part);
    if (at < 0) return false;
    rest = rest.slice(at + part.length);
  }
  return true;
}
