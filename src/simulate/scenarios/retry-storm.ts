import { seededRandom } from '../rng.js';
import type { Arrival, Scenario } from '../types.js';

/** Clients in each group, each on its own key (`immediate:<n>`, `backoff:<n>`). */
const CLIENTS = 10;
/** Jobs arrive at this multiple of the limit. */
const OVERLOAD = 1.5;
/** Attempts per job, first one included, before a client gives up on it. */
const MAX_ATTEMPTS = 10;
/** An immediate retrier sends again one round trip after the 429. */
const ROUND_TRIP_MS = 10;
/** First backoff ceiling; it doubles per attempt, up to one window. */
const BACKOFF_BASE_MS = 100;

/**
 * Clients whose jobs arrive (Poisson) at 1.5× the limit, so some requests are
 * denied. `immediate` clients resend a denied request one round trip later;
 * `backoff` clients wait `retryAfterMs + random(0, min(window, 100 ms × 2^attempt))`
 * (never before `retryAfterMs`, then exponential backoff with full jitter, so
 * the client's waiting jobs do not all come back at the same instant). Both give
 * up after 10 attempts. Closed loop: the retries depend on the decisions, so
 * each algorithm provokes its own trace. Seeded.
 */
export const retryStorm: Scenario = {
  name: 'retry-storm',
  summary: `${CLIENTS} clients retrying immediately vs ${CLIENTS} backing off with jitter and honouring retryAfterMs; jobs at ${OVERLOAD} x limit (seeded)`,
  defaultWindows: 10,
  traffic({ limit, windowMs, startMs, durationMs, seed }) {
    const rng = seededRandom(seed);
    const end = startMs + durationMs;
    const meanGapMs = windowMs / (limit * OVERLOAD);
    const arrivals: Arrival[] = [];
    for (const group of ['immediate', 'backoff']) {
      for (let client = 0; client < CLIENTS; client++) {
        const key = `${group}:${client}`;
        for (let t = startMs + rng.exponential(meanGapMs); t < end; t += rng.exponential(meanGapMs)) {
          arrivals.push({ at: Math.floor(t), key, cost: 1, attempt: 1 });
        }
      }
    }
    // Retry jitter has its own stream, so the job arrivals are the same for every algorithm.
    const jitter = seededRandom(seed ^ 0x5bd1e995);
    return {
      arrivals,
      react(arrival, outcome) {
        const attempt = arrival.attempt ?? 1;
        if (outcome.allowed || attempt >= MAX_ATTEMPTS) return undefined;
        let wait = ROUND_TRIP_MS;
        if (arrival.key.startsWith('backoff:')) {
          const ceiling = Math.min(windowMs, BACKOFF_BASE_MS * 2 ** attempt);
          wait = outcome.retryAfterMs + Math.floor(jitter.next() * ceiling);
        }
        return { at: arrival.at + wait, key: arrival.key, cost: arrival.cost, attempt: attempt + 1 };
      },
    };
  },
};
