/** How long one observation of the server's clock counts: a step of either clock is forgotten this fast. */
const WINDOW_MS = 10_000;

/**
 * The Redis server's clock as seen from this process, to turn a caller's
 * deadline (on `performance.now()`) into the server time after which a
 * script must commit nothing.
 *
 * A reply that carries the server time S, received at local time c, says
 * that the offset (server minus local) is at least S - c, since the script
 * ran before c. The estimate is the largest such bound seen in the last 10
 * to 20 s: never above the true offset (unless the server's clock stepped
 * back since), so a script that runs after its caller gave up always sees
 * itself late. Before the first reply, the wall clock stands in for the
 * server's (clocks are usually synchronised; the first reply corrects it).
 *
 * @example
 * const clock = new ServerClock();
 * const serverDeadline = clock.toServer(performance.now() + 100);
 * clock.observe(replyServerMs, performance.now());
 */
export class ServerClock {
  private current = Number.NEGATIVE_INFINITY;
  private previous = Number.NEGATIVE_INFINITY;
  private windowStart = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly wallOffset: () => number = () => Date.now() - performance.now(),
  ) {}

  /** Records that the server's clock read `serverMs` at or before local time `receivedAt`. */
  observe(serverMs: number, receivedAt: number): void {
    if (receivedAt - this.windowStart >= WINDOW_MS) {
      this.previous = receivedAt - this.windowStart >= 2 * WINDOW_MS ? Number.NEGATIVE_INFINITY : this.current;
      this.current = Number.NEGATIVE_INFINITY;
      this.windowStart = receivedAt;
    }
    this.current = Math.max(this.current, serverMs - receivedAt);
  }

  /** The server time no later than the local instant `local` (on `performance.now()`'s clock). */
  toServer(local: number): number {
    if (this.now() - this.windowStart >= 2 * WINDOW_MS) {
      this.current = Number.NEGATIVE_INFINITY;
      this.previous = Number.NEGATIVE_INFINITY;
    }
    const offset = Math.max(this.current, this.previous);
    return Math.floor(local + (offset === Number.NEGATIVE_INFINITY ? this.wallOffset() : offset));
  }
}
