/**
 * One key's sliding log of two entries or more (a {@link LogState} keeps a
 * log of one entry inline), run-length encoded: one entry per distinct instant
 * at which units were admitted, with the running total of units admitted up
 * to and including it (`cums`), oldest first. Entries before `head` have
 * been dropped; `base` is the running total just before `head`. The units
 * admitted in any suffix of the log are a subtraction, so no decision sums
 * the log: finding where the window starts is a galloping search (a few
 * steps when little has expired, O(log n) at worst), a denial reads only as
 * far as the unit it waits for, and an admission drops the entries that left
 * the window (amortised O(1)). Only an admission drops anything: a peek or a
 * denial evaluated at a later instant must not change what a caller whose
 * clock is behind would be told. The Redis script keeps the same shape in a list.
 */
export class RunLog {
  /** First kept entry. */
  head = 0;
  /** Units admitted before `head`. */
  base = 0;

  constructor(
    /** Admission instants (ms), increasing; kept from `head`. */
    readonly times: number[],
    /** Units admitted up to and including each entry, cumulative. */
    readonly cums: number[],
  ) {}

  /** The number of entries, kept or dropped: indexes at or past it are past the newest entry. */
  get end(): number {
    return this.times.length;
  }

  /** Forgets every entry. */
  clear(): void {
    this.times.length = 0;
    this.cums.length = 0;
    this.head = 0;
    this.base = 0;
  }

  /** The newest entry's instant, or -Infinity for an empty log. */
  newest(): number {
    return this.times.length > this.head ? (this.times[this.times.length - 1] as number) : Number.NEGATIVE_INFINITY;
  }

  /**
   * The first entry still in the window at `now` (`time + windowMs > now`),
   * or the length of the log when none is: galloping from the oldest, then
   * halving, so a log whose oldest entries are live costs one look.
   */
  firstLive(now: number, windowMs: number): number {
    const { times } = this;
    const end = times.length;
    const horizon = now - windowMs;
    let low = this.head;
    if (low >= end || (times[low] as number) > horizon) return low;
    // times[low] has left the window; find a bound that has not.
    let step = 1;
    let high = low + step;
    while (high < end && (times[high] as number) <= horizon) {
      low = high;
      step *= 2;
      high = low + step;
    }
    if (high > end) high = end;
    // times[low] left, times[high] (or the end) is live: halve.
    while (high - low > 1) {
      const middle = low + ((high - low) >> 1);
      if ((times[middle] as number) <= horizon) low = middle;
      else high = middle;
    }
    return high;
  }

  /** Units admitted from entry `from` on. */
  countFrom(from: number): number {
    const last = this.cums.length - 1;
    if (from > last) return 0;
    return (this.cums[last] as number) - (from > this.head ? (this.cums[from - 1] as number) : this.base);
  }

  /** Drops the entries before `from` (they have left the window). */
  dropBefore(from: number): void {
    if (from <= this.head) return;
    const { times, cums } = this;
    if (from >= times.length) {
      this.clear();
      return;
    }
    this.base = cums[from - 1] as number;
    this.head = from;
    // Compact once the dropped prefix is as long as the kept part: amortised O(1) per entry.
    if (from >= 16 && from * 2 >= times.length) {
      times.splice(0, from);
      cums.splice(0, from);
      this.head = 0;
    }
  }

  /** Records `cost` units admitted at `now` (no earlier than the newest entry). */
  push(now: number, cost: number): void {
    const { times, cums } = this;
    const last = times.length - 1;
    if (last >= this.head && times[last] === now) {
      cums[last] = (cums[last] as number) + cost;
      return;
    }
    const total = last >= this.head ? (cums[last] as number) : this.base;
    times.push(now);
    cums.push(total + cost);
  }

  /**
   * The instant of the entry holding the `k`-th unit (1-based) counted from
   * entry `from`. Each entry holds at least one unit, so at most `k` entries
   * are visited.
   */
  timeOfUnit(from: number, k: number): number {
    const target = (from > this.head ? (this.cums[from - 1] as number) : this.base) + k;
    let i = from;
    while ((this.cums[i] as number) < target) i++;
    return this.times[i] as number;
  }

  /**
   * Takes up to `cost` units out of the entry admitted at `atMs`, if it is
   * still in the window (`atMs > horizon`), as if they had never been
   * admitted. Searches from the newest entry, where refunds usually land;
   * removes the entry once it holds nothing.
   */
  refund(atMs: number, cost: number, horizon: number): void {
    const { times, cums } = this;
    if (!(atMs > horizon)) return;
    let i = times.length - 1;
    while (i >= this.head && (times[i] as number) > atMs) i--;
    if (i < this.head || times[i] !== atMs) return;
    const before = i > this.head ? (cums[i - 1] as number) : this.base;
    const units = (cums[i] as number) - before;
    const taken = Math.min(cost, units);
    for (let j = i; j < cums.length; j++) cums[j] = (cums[j] as number) - taken;
    if (taken === units) {
      times.splice(i, 1);
      cums.splice(i, 1);
    }
  }
}
