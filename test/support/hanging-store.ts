import type { Store } from '../../src/index.js';

/** A store that never answers anything: a fault a real store shows when its server hangs. */
export const hangingStore: Store = {
  bind: () => ({
    limit: () => new Promise(() => {}),
    peek: () => new Promise(() => {}),
    refund: () => new Promise(() => {}),
    reset: () => new Promise(() => {}),
  }),
};
