import { seededRandom } from '../rng.js';
import type { Arrival, Scenario } from '../types.js';

/** Clients in each of the two groups. */
const CLIENTS = 20;

/**
 * Poisson traffic: one group of clients each at 90% of the limit, one at
 * 110%, each client on its own key (`p90:<n>`, `p110:<n>`). Seeded.
 */
export const steady: Scenario = {
  name: 'steady',
  summary: `Poisson traffic, ${CLIENTS} clients at 90% and ${CLIENTS} at 110% of the limit (seeded)`,
  defaultWindows: 30,
  traffic({ limit, windowMs, startMs, durationMs, seed }) {
    const rng = seededRandom(seed);
    const end = startMs + durationMs;
    const arrivals: Arrival[] = [];
    for (const percent of [90, 110]) {
      const meanGapMs = (windowMs * 100) / (limit * percent);
      for (let client = 0; client < CLIENTS; client++) {
        const key = `p${percent}:${client}`;
        let t = startMs + rng.exponential(meanGapMs);
        while (t < end) {
          arrivals.push({ at: Math.floor(t), key, cost: 1 });
          t += rng.exponential(meanGapMs);
        }
      }
    }
    return { arrivals };
  },
};
