import { RunLog } from './run-log.js';

/**
 * The sliding logs of many keys, one per index `at` (a store's slot), as
 * the counter policies keep their numbers in one `Float64Array`. A log of at
 * most one entry, what most keys of a large store hold, lives inline in two
 * typed arrays (12 bytes, no object); a second distinct instant moves the
 * key's log into a {@link RunLog} of its own, and a log whose entries have
 * all left the window goes back inline. An object and two arrays per key
 * were ~420 bytes at a million keys.
 *
 * Entry indexes (`from`, the result of `firstLive`) are the log's own: for
 * an inline log, 0 is its entry and 1 is past it.
 *
 * @example
 * const state = new LogState(); // room for one log, at 0
 * policy.init(state, 0);
 */
export class LogState {
  // No `private` fields: this class is part of the public `Policy` type, and a class with
  // private members is nominal, so the ESM and CJS copies of the declarations would not
  // match (Fastify's route config is declared once for both). Internal all the same.
  /** The instant of each inline entry (ms). */
  instants: Float64Array;
  /** The units of each inline entry; 0 for an empty inline log. */
  units: Int32Array;
  /** The log of each index holding two entries or more; undefined where the log is inline. */
  runs: (RunLog | undefined)[];

  constructor(capacity = 1) {
    this.instants = new Float64Array(capacity);
    this.units = new Int32Array(capacity);
    // Sized once, like the typed arrays: appending would reserve up to 50 % more.
    this.runs = new Array(capacity);
  }

  /** Room for `capacity` logs, keeping those held. */
  resize(capacity: number): void {
    const instants = new Float64Array(capacity);
    instants.set(this.instants.subarray(0, capacity));
    this.instants = instants;
    const units = new Int32Array(capacity);
    units.set(this.units.subarray(0, capacity));
    this.units = units;
    const runs = new Array<RunLog | undefined>(capacity);
    for (let i = 0; i < Math.min(capacity, this.runs.length); i++) runs[i] = this.runs[i];
    this.runs = runs;
  }

  /** Forgets every entry of log `at`. */
  clear(at: number): void {
    this.units[at] = 0;
    this.runs[at] = undefined;
  }

  /** The newest entry's instant, or -Infinity for an empty log. */
  newest(at: number): number {
    const run = this.runs[at];
    if (run !== undefined) return run.newest();
    return (this.units[at] as number) > 0 ? (this.instants[at] as number) : Number.NEGATIVE_INFINITY;
  }

  /** The first entry still in the window at `now` (`time + windowMs > now`), or the end of the log. */
  firstLive(at: number, now: number, windowMs: number): number {
    const run = this.runs[at];
    if (run !== undefined) return run.firstLive(now, windowMs);
    return (this.units[at] as number) > 0 && (this.instants[at] as number) > now - windowMs ? 0 : 1;
  }

  /** Units admitted from entry `from` on. */
  countFrom(at: number, from: number): number {
    const run = this.runs[at];
    if (run !== undefined) return run.countFrom(from);
    return from === 0 ? (this.units[at] as number) : 0;
  }

  /** Drops the entries before `from` (they have left the window). */
  dropBefore(at: number, from: number): void {
    const run = this.runs[at];
    if (run === undefined) {
      if (from > 0) this.units[at] = 0;
    } else if (from >= run.end) {
      // Every entry left: the log goes back inline, and the object to the collector.
      this.clear(at);
    } else {
      run.dropBefore(from);
    }
  }

  /** Records `cost` units admitted at `now` (no earlier than the newest entry). */
  push(at: number, now: number, cost: number): void {
    const run = this.runs[at];
    if (run !== undefined) {
      run.push(now, cost);
      return;
    }
    const units = this.units[at] as number;
    if (units === 0) {
      this.instants[at] = now;
      this.units[at] = cost;
    } else if (this.instants[at] === now) {
      this.units[at] = units + cost;
    } else {
      // Empty arrays filled by push, not literals of two: a key grown from a literal `[a, b]`
      // decided at half the speed over 100k keys (2.4x the instructions per call, callgrind).
      const run = new RunLog([], []);
      run.push(this.instants[at] as number, units);
      run.push(now, cost);
      this.runs[at] = run;
      this.units[at] = 0;
    }
  }

  /** The instant of the entry holding the `k`-th unit (1-based) counted from entry `from`. */
  timeOfUnit(at: number, from: number, k: number): number {
    const run = this.runs[at];
    if (run !== undefined) return run.timeOfUnit(from, k);
    // Only entry 0 holds units.
    return this.instants[at] as number;
  }

  /**
   * Takes up to `cost` units out of the entry admitted at `atMs`, if it is
   * still in the window (`atMs > horizon`), as if they had never been admitted.
   */
  refund(at: number, atMs: number, cost: number, horizon: number): void {
    const run = this.runs[at];
    if (run !== undefined) {
      run.refund(atMs, cost, horizon);
      return;
    }
    const units = this.units[at] as number;
    if (!(atMs > horizon) || units === 0 || this.instants[at] !== atMs) return;
    this.units[at] = units - Math.min(cost, units);
  }
}
