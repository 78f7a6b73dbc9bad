/**
 * The answer to one request. Every field is a whole number or a boolean and is
 * always present; times are in milliseconds, rounded up.
 */
export interface Decision {
  /** Whether the request may proceed. */
  readonly allowed: boolean;
  /** The policy's limit (fixed/sliding windows) or capacity (buckets). */
  readonly limit: number;
  /** Whole units still admissible now, after this request if it was admitted. Never negative. */
  readonly remaining: number;
  /** Least wait until the key behaves like a new key, if nothing else arrives. */
  readonly resetMs: number;
  /** 0 when allowed; when denied, the least wait after which the same request would be admitted. */
  readonly retryAfterMs: number;
  /** Leaky bucket: how long to hold an admitted request before serving it. 0 otherwise. */
  readonly delayMs: number;
  /** True when the decision came from the failure policy (`onStoreError`), not from the store. */
  readonly degraded: boolean;
  /**
   * The instant (ms since the epoch, on the store's clock: the limiter's
   * `clock`, or the Redis server's `TIME`) at which the decision took effect.
   * `refund` uses it to find what an admitted request spent.
   */
  readonly atMs: number;
  /**
   * The units this request spent: its cost when it was admitted and
   * recorded, 0 otherwise (denied, a peek, decided by the failure policy, or
   * a shadow limit that would have denied). What `refund` can give back.
   */
  readonly spent: number;
  /**
   * Only on the decisions of a limiter in shadow mode, or of a limit set with a
   * shadow limit: true when a shadow limit would have denied this request
   * (it was admitted all the same).
   */
  readonly shadowDenied?: boolean;
}

/** Builds a decision; one shape for every policy keeps call sites monomorphic. */
export function decision(
  allowed: boolean,
  limit: number,
  remaining: number,
  resetMs: number,
  retryAfterMs: number,
  delayMs: number,
  atMs: number,
  spent: number,
): Decision {
  return { allowed, limit, remaining, resetMs, retryAfterMs, delayMs, degraded: false, atMs, spent };
}

// V8 gives each field of the object built above the representation of the
// first values stored: small integers (Smi) at first, a double field (a box
// allocated with every decision) once an instant or a large remainder arrives,
// and every optimised function that built or read decisions is thrown away
// (deoptimised) at that change. When the change came mid-run decided the speed of
// the whole process: the fixed window's hot path ran at 0.77M or 2.1M decisions/s,
// same code. One decision built at load with a non-number in each numeric field
// makes those fields tagged from the start: small integers stored inline, other
// numbers as heap numbers, and no representation change (so no deoptimisation) later.
const untyped = undefined as unknown as number;
decision(false, untyped, untyped, untyped, untyped, untyped, untyped, untyped);

// Division helpers. The floating-point remainder `%` is slow on large
// operands (a timestamp in ms or ticks): 10-15 ns, a tenth of a whole
// in-memory decision. For a > 0 the quotient comes from one division instead,
// kept only if multiplying back proves it exact; otherwise, and for a < 0
// (where the sign of zero matters), the remainder formula decides. Every
// helper maps a zero (+0 or -0) to +0, as the remainder formula does.

/** `ceil(a / b)` for integers a >= 0, b > 0, exact where `Math.ceil(a / b)` can round. */
export function ceilDiv(a: number, b: number): number {
  if (a > 0) {
    const q = Math.ceil(a / b);
    if ((q - 1) * b < a && a <= q * b) return q;
  } else if (a === 0) {
    return 0;
  }
  const r = a % b;
  return (a - r) / b + (r > 0 ? 1 : 0);
}

/** `floor(a / b)` for integers, b > 0, exact for negative a too. */
export function floorDiv(a: number, b: number): number {
  if (a > 0) {
    const q = Math.floor(a / b);
    if (q * b <= a && a < (q + 1) * b) return q;
  } else if (a === 0) {
    return 0;
  }
  const r = a % b;
  return (a - r) / b - (r < 0 ? 1 : 0);
}

/** `(a - a % b) / b`: the quotient rounded toward zero, for b > 0. */
export function truncDiv(a: number, b: number): number {
  if (a > 0) {
    const q = Math.floor(a / b);
    if (q * b <= a && a < (q + 1) * b) return q;
  } else if (a === 0) {
    return 0;
  }
  return (a - (a % b)) / b;
}
