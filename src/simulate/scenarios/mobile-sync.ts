import { seededRandom } from '../rng.js';
import type { Arrival, Scenario } from '../types.js';

/** Devices, each on its own key (`device:<n>`). */
const DEVICES = 50;
/** Gap between two requests of one sync batch, in ms. */
const BATCH_GAP_MS = 10;

/**
 * Devices that stay quiet (between half a window and four windows) and then
 * sync a batch of half the limit to 1.5× the limit, 10 ms apart. Bursty on
 * purpose: the sliding window counter assumes the previous window's requests
 * were spread evenly, and here they never are. Seeded.
 */
export const mobileSync: Scenario = {
  name: 'mobile-sync',
  summary: `${DEVICES} devices: quiet 0.5-4 windows, then a batch of 0.5-1.5 x limit requests 10 ms apart (seeded)`,
  defaultWindows: 30,
  traffic({ limit, windowMs, startMs, durationMs, seed }) {
    const rng = seededRandom(seed);
    const end = startMs + durationMs;
    const arrivals: Arrival[] = [];
    for (let device = 0; device < DEVICES; device++) {
      const key = `device:${device}`;
      let t = startMs + rng.int(0, 2 * windowMs);
      while (t < end) {
        const batch = rng.int(Math.ceil(limit / 2), Math.floor((3 * limit) / 2));
        for (let i = 0; i < batch && t < end; i++, t += BATCH_GAP_MS) arrivals.push({ at: t, key, cost: 1 });
        t += rng.int(Math.floor(windowMs / 2), 4 * windowMs);
      }
    }
    return { arrivals };
  },
};
