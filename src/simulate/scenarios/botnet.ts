import { seededRandom } from '../rng.js';
import type { Arrival, Scenario } from '../types.js';

/** Distinct sources (`bot:<n>`). */
export const BOTNET_SOURCES = 50_000;

/**
 * 50,000 sources each sending one request per window (1 per minute at the
 * default window), each far under its per-source limit, alongside a global
 * limit on all traffic (`--global-limit`, default 100 × the limit). Only the
 * global limit can stop this; the report shows how each algorithm spends it.
 */
export const botnet: Scenario = {
  name: 'botnet',
  summary: `${BOTNET_SOURCES.toLocaleString('en-US')} sources at 1 request per window each, per-source limit plus a global limit (--global-limit, default 100 x limit)`,
  defaultWindows: 3,
  traffic({ limit, windowMs, startMs, durationMs, seed, globalLimit }) {
    const rng = seededRandom(seed);
    const end = startMs + durationMs;
    const arrivals: Arrival[] = [];
    for (let source = 0; source < BOTNET_SOURCES; source++) {
      const key = `bot:${source}`;
      for (let t = startMs + rng.int(0, windowMs - 1); t < end; t += windowMs) arrivals.push({ at: t, key, cost: 1 });
    }
    return { arrivals, globalLimit: globalLimit ?? 100 * limit };
  },
};
