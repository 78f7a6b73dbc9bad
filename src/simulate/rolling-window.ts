/**
 * The units added within the last `windowMs`, fed in time order: the exact
 * count a sliding log keeps, `(at - window, at]`. Every exact count of the
 * simulator (a key's burst, all keys' burst, the reference rule, Cloudflare's
 * offered count) is one of these.
 *
 * @example
 * const window = new RollingWindow(60_000);
 * window.add(0, 1);          // 1
 * window.add(59_999, 1);     // 2
 * window.sumAt(60_000);      // 1: the unit added at 0 has left the window
 */
export class RollingWindow {
  private readonly times: number[] = [];
  private readonly units: number[] = [];
  private head = 0;
  private sum = 0;

  constructor(private readonly windowMs: number) {}

  /** Adds `cost` at `at` and returns the sum over `(at - window, at]`. */
  add(at: number, cost: number): number {
    this.times.push(at);
    this.units.push(cost);
    this.sum += cost;
    return this.sumAt(at);
  }

  /** The sum over `(at - window, at]`; `at` never goes backwards. */
  sumAt(at: number): number {
    while (this.head < this.times.length && (this.times[this.head] as number) <= at - this.windowMs) {
      this.sum -= this.units[this.head] as number;
      this.head++;
    }
    // Drop the consumed prefix now and then, so long runs stay small.
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times.splice(0, this.head);
      this.units.splice(0, this.head);
      this.head = 0;
    }
    return this.sum;
  }
}
