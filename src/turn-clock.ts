/**
 * `performance.now()`, read at most once per drain of the microtask queue.
 *
 * The Redis store answers a batch of up to 64 calls from one reply: their
 * continuations run one after another in a single drain, and an observed
 * decision reads the clock to time its store call. One reading serves them
 * all (a reading costs more than the rest of what an observer adds on that
 * path). It is forgotten by a reaction queued behind the continuations
 * already waiting, so it is never older than the microtasks that ran before
 * it was forgotten, and a later event-loop turn always reads afresh.
 *
 * The global `performance` is read each time (not captured): Jest's fake
 * timers replace it, and the forgetting goes through a native promise, which
 * fake timers cannot hold back (they can replace `queueMicrotask`).
 *
 * Not for deadlines: fake timers run several timer callbacks in one
 * synchronous stretch, where a shared reading would be stale.
 */
let reading = 0;
let held = false;
const resolved = Promise.resolve();
const forget = (): void => {
  held = false;
};

export function turnNow(): number {
  if (held) return reading;
  reading = performance.now();
  held = true;
  resolved.then(forget);
  return reading;
}
