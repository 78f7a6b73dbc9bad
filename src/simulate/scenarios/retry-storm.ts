import { seededRandom } from '../rng.js';
import type { Arrival, Scenario } from '../types.js';

/** Clients in each group, each on its own key (`immediate:<n>`, `backoff:<n>`). */
const CLIENTS = 10;
/** Steady jobs arrive (Poisson) at this share of the limit. */
const BASELINE = 0.5;
/** The backlog each client resends at once after the outage, in limits. */
const BACKLOG = 1;
/** The backlog goes out over this many ms. */
const BACKLOG_SPREAD_MS = 100;
/** Attempts per job, first one included, before a client gives up on it. */
const MAX_ATTEMPTS = 10;
/** An immediate retrier sends again one round trip after the 429. */
const ROUND_TRIP_MS = 10;
/** First backoff ceiling; it doubles per attempt, up to one window. */
const BACKOFF_BASE_MS = 100;

/**
 * Clients with steady jobs (Poisson, half the limit) that, when an outage ends
 * half-way through the second window, all resend a backlog of one limit's worth
 * of jobs within 100 ms, so a good part of it is denied. `immediate` clients resend a denied request one round trip later;
 * `backoff` clients wait `retryAfterMs + random(0, min(window, 100 ms × 2^attempt))`
 * (never before `retryAfterMs`, then exponential backoff with full jitter, so
 * the client's waiting jobs do not all come back at the same instant). Both give
 * up after 10 attempts. Closed loop: the retries depend on the decisions, so
 * each algorithm provokes its own trace. Seeded.
 */
export const retryStorm: Scenario = {
  name: 'retry-storm',
  summary: `${CLIENTS} clients retrying immediately vs ${CLIENTS} backing off with jitter and honouring retryAfterMs, after a backlog burst (seeded)`,
  defaultWindows: 10,
  traffic({ limit, windowMs, startMs, durationMs, seed }) {
    const rng = seededRandom(seed);
    const end = startMs + durationMs;
    const meanGapMs = windowMs / (limit * BASELINE);
    const outageEnd = startMs + windowMs + Math.floor(windowMs / 2);
    const arrivals: Arrival[] = [];
    for (const group of ['immediate', 'backoff']) {
      for (let client = 0; client < CLIENTS; client++) {
        const key = `${group}:${client}`;
        for (let t = startMs + rng.exponential(meanGapMs); t < end; t += rng.exponential(meanGapMs)) {
          arrivals.push({ at: Math.floor(t), key, cost: 1, attempt: 1 });
        }
        const backlog = Math.round(limit * BACKLOG);
        for (let i = 0; i < backlog; i++) {
          arrivals.push({ at: outageEnd + Math.floor((i * BACKLOG_SPREAD_MS) / backlog), key, cost: 1, attempt: 1 });
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
