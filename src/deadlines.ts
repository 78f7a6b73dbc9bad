import { StoreTimeoutError } from './failure.js';

/** One pending call, linked in start order (which, for one `timeoutMs`, is deadline order). */
class Pending {
  prev: Pending | undefined = undefined;
  next: Pending | undefined = undefined;
  /** Cleared once the call leaves the list (settled or timed out), so the loser of the race does nothing. */
  linked = true;
  reject: ((error: unknown) => void) | undefined = undefined;
  constructor(readonly deadline: number) {}
}

/**
 * Store-call timeouts for one `timeoutMs` with a single timer instead of a
 * `setTimeout` + `Promise.race` per call: a per-call timer (and the promises
 * around it) cost more than the decision itself on a fast store. Calls are
 * kept in a doubly linked list in start order, so a call that settles leaves
 * it in O(1) and dies young, and the oldest call always has the nearest
 * deadline; the one timer is armed for it and, when it fires, rejects every
 * call past its deadline with a `StoreTimeoutError`.
 *
 * While no call is pending the timer is unref'd, so an idle limiter never
 * keeps the process alive (a pending call does, as a per-call timer would).
 *
 * @example
 * const deadlines = new Deadlines(100);
 * const decision = await deadlines.race(store.limit('k', 1)); // rejects after ~100 ms
 */
export class Deadlines {
  private head: Pending | undefined = undefined;
  private tail: Pending | undefined = undefined;
  private timer: NodeJS.Timeout | undefined = undefined;
  /** `now()` at which `timer` fires. */
  private timerAt = 0;

  /**
   * @param timeoutMs finite, positive: how long a call may stay pending.
   * @param now a monotonic clock in ms (tests inject one).
   */
  constructor(
    readonly timeoutMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The deadline of a call starting now: `timeoutMs` from now, on this instance's clock. */
  deadline(): number {
    return this.now() + this.timeoutMs;
  }

  /**
   * Settles with `work`, or rejects with a `StoreTimeoutError` once
   * `deadline` (from {@link deadline}, taken when the call started) has passed.
   */
  race<T>(work: Promise<T>, deadline: number = this.deadline()): Promise<T> {
    const pending = new Pending(deadline);
    this.link(pending);
    return new Promise<T>((resolve, reject) => {
      pending.reject = reject;
      work.then(
        (value) => {
          if (this.unlink(pending)) resolve(value);
        },
        (error: unknown) => {
          // After a timeout the late failure is dropped here: it never becomes an unhandled rejection.
          if (this.unlink(pending)) reject(error);
        },
      );
    });
  }

  private link(pending: Pending): void {
    const tail = this.tail;
    if (tail === undefined) {
      this.head = pending;
      this.tail = pending;
      if (this.timer === undefined) this.arm(pending.deadline);
      else if (this.timerAt > pending.deadline) {
        // Only after an idle period with a later timer (cannot happen with one timeoutMs, kept for safety).
        clearTimeout(this.timer);
        this.arm(pending.deadline);
      } else this.timer.ref();
      return;
    }
    tail.next = pending;
    pending.prev = tail;
    this.tail = pending;
  }

  /** Removes `pending` from the list; false when it already left (timed out). */
  private unlink(pending: Pending): boolean {
    if (!pending.linked) return false;
    pending.linked = false;
    const { prev, next } = pending;
    if (prev === undefined) this.head = next;
    else prev.next = next;
    if (next === undefined) this.tail = prev;
    else next.prev = prev;
    pending.prev = undefined;
    pending.next = undefined;
    if (this.head === undefined) this.timer?.unref();
    return true;
  }

  private arm(at: number): void {
    this.timerAt = at;
    this.timer = setTimeout(this.sweep, Math.max(1, Math.ceil(at - this.now())));
  }

  private readonly sweep = (): void => {
    this.timer = undefined;
    const now = this.now();
    let pending = this.head;
    while (pending !== undefined && pending.deadline <= now) {
      this.unlink(pending);
      pending.reject?.(new StoreTimeoutError(this.timeoutMs));
      pending = this.head;
    }
    if (pending !== undefined) this.arm(pending.deadline);
  };
}
