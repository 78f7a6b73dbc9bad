import { decimal, threeDigits } from './decimal.js';

/**
 * The `RateLimit` item of one limit, `"name";r=<remaining>;t=<seconds>`, as
 * the template literal would write it, with less work per request: a hot key's
 * `remaining` falls by one per request, so all but its last three digits, with
 * the item's name before them, are the same as the request before's and are
 * kept (one string per item); `;t=<seconds>` is kept from the last call too.
 *
 * @example
 * new RateLimitText('"default";r=').item(999_999_998, 60); // '"default";r=999999998;t=60'
 */
export class RateLimitText {
  /** `remaining` over 1000 of the last item built with a kept head, and that head. */
  private high = -1;
  private head = '';

  /** @param prefix the item's serialised start, `"name";r=` */
  constructor(private readonly prefix: string) {}

  item(remaining: number, seconds: number): string {
    // A whole number of four to nine digits; anything else (`| 0` sends fractions and 2^31 on) is written whole.
    if ((remaining | 0) !== remaining || remaining < 1000 || remaining >= 1e9) {
      return this.prefix + decimal(remaining) + resetParam(seconds);
    }
    const high = (remaining / 1000) | 0;
    if (high !== this.high) {
      this.head = flat(this.prefix + decimal(high));
      this.high = high;
    }
    return this.head + threeDigits(remaining - high * 1000) + resetParam(seconds);
  }
}

// The last `;t=` parameter built: a window's requests mostly share their reset second.
let lastReset = Number.NaN;
let lastResetParam = '';

/** `;t=<seconds>`, the same string as the template literal would give. */
export function resetParam(seconds: number): string {
  if (seconds !== lastReset) {
    lastResetParam = `;t=${decimal(seconds)}`;
    lastReset = seconds;
  }
  return lastResetParam;
}

const sink = { firstChar: 0 };

/** `text` flattened once, so that the requests that reuse it do not walk its parts again. */
function flat(text: string): string {
  sink.firstChar = text.charCodeAt(0);
  return text;
}
