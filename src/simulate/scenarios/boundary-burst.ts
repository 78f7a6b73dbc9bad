import type { Arrival, Scenario } from '../types.js';

/** How long each half of the burst lasts, in ms (the seed article's 200 ms). */
const BURST_MS = 200;

/**
 * The seed article's retry storm: `limit` requests in the last 200 ms of a
 * window, then `limit` more in the first 200 ms of the next, from one client.
 * A fixed window admits both halves (2× the limit in 400 ms).
 */
export const boundaryBurst: Scenario = {
  name: 'boundary-burst',
  summary: '--limit requests in the last 200 ms of a window, then --limit more in the first 200 ms of the next',
  defaultWindows: 2,
  describe: ({ limit, windowMs }) => {
    const span = Math.min(BURST_MS, Math.floor(windowMs / 2));
    return `${limit} requests in the last ${span} ms of a window, then ${limit} in the first ${span} ms of the next`;
  },
  traffic({ limit, windowMs, startMs }) {
    const span = Math.min(BURST_MS, Math.floor(windowMs / 2));
    const boundary = startMs + windowMs;
    const arrivals: Arrival[] = [];
    for (const first of [boundary - span, boundary]) {
      for (let i = 0; i < limit; i++) {
        arrivals.push({ at: first + Math.floor((i * span) / limit), key: 'client', cost: 1 });
      }
    }
    return { arrivals };
  },
};
