import { seededRandom } from '../rng.js';
import type { Arrival, Scenario } from '../types.js';

/** Distinct sources (`bot:<n>`). */
export const BOTNET_SOURCES = 50_000;
/** Legitimate clients (`user:<n>`), each on its own key. */
export const BOTNET_USERS = 20;
/** Each legitimate client sends (Poisson) at this share of the per-source limit. */
const USER_RATE = 0.5;

/**
 * 50,000 sources each sending one request per window (1 per minute at the
 * default window), each far under its per-source limit, and 20 legitimate
 * clients at half the limit each (Poisson), alongside a global limit on all
 * traffic (`--global-limit`, default 100 × the limit). Only the global limit
 * can stop the botnet; the report shows how each algorithm spends it, and what
 * a per-source limit alone, a global limit alone and the set of both admit from
 * each group.
 */
export const botnet: Scenario = {
  name: 'botnet',
  summary: `${BOTNET_SOURCES.toLocaleString('en-US')} sources at 1 request per window each and ${BOTNET_USERS} legitimate clients at ${USER_RATE * 100}% of the limit, per-source limit plus a global limit (--global-limit, default 100 x limit)`,
  defaultWindows: 3,
  traffic({ limit, windowMs, startMs, durationMs, seed, globalLimit }) {
    const rng = seededRandom(seed);
    const end = startMs + durationMs;
    const arrivals: Arrival[] = [];
    for (let source = 0; source < BOTNET_SOURCES; source++) {
      const key = `bot:${source}`;
      for (let t = startMs + rng.int(0, windowMs - 1); t < end; t += windowMs) arrivals.push({ at: t, key, cost: 1 });
    }
    // Their own stream, so the botnet's arrivals do not depend on how many users there are.
    const users = seededRandom(seed ^ 0x2545f491);
    const meanGapMs = windowMs / (limit * USER_RATE);
    for (let user = 0; user < BOTNET_USERS; user++) {
      const key = `user:${user}`;
      for (let t = startMs + users.exponential(meanGapMs); t < end; t += users.exponential(meanGapMs)) {
        arrivals.push({ at: Math.floor(t), key, cost: 1 });
      }
    }
    return { arrivals, globalLimit: globalLimit ?? 100 * limit, groups: { attack: 'bot', legitimate: 'user' } };
  },
};
