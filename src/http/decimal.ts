/**
 * `String(n)` for the numbers the `RateLimit` header carries. A `remaining`
 * that changed since the last request is a number V8 has not printed before:
 * `String(n)` misses its number-to-string cache and goes to the runtime
 * (~0.3k instructions per request on Fastify, bench/results/http-instructions.md).
 * Read from tables of three-digit groups and joined, the digits stay in
 * generated code: strings under 13 characters are concatenated flat.
 */

/** `'0'` … `'999'`, then `'000'` … `'999'`: 2,000 short strings, built on first use. */
let plain: readonly string[] | undefined;
let padded: readonly string[] = [];

function tables(): void {
  const digits = Array.from({ length: 1000 }, (_, i) => String(i));
  padded = digits.map((text) => text.padStart(3, '0'));
  plain = digits;
}

/**
 * `String(n)`, the same string for every number; from the tables for a whole
 * number from 0 to 999,999,999, the rest through `String`. Small, and in
 * integer arithmetic, so that the compiler inlines it into the header code.
 *
 * @example
 * decimal(1_234_567); // '1234567'
 */
export function decimal(n: number): string {
  const groups = plain;
  // `n | 0` also sends non-integers and anything past 2^31 to String().
  if (groups === undefined || (n | 0) !== n || n < 0 || n >= 1e9) return slowDecimal(n);
  if (n < 1000) return groups[n] as string;
  const high = (n / 1000) | 0;
  const low = padded[n - high * 1000] as string;
  if (high < 1000) return (groups[high] as string) + low;
  const top = (high / 1000) | 0;
  return (groups[top] as string) + (padded[high - top * 1000] as string) + low;
}

/** `n` (0 to 999) in three digits, zero-padded: `'007'`. */
export function threeDigits(n: number): string {
  if (plain === undefined) tables();
  return padded[n] as string;
}

function slowDecimal(n: number): string {
  if (plain === undefined) tables();
  return String(n);
}
