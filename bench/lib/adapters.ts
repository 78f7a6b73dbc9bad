// One adapter per library under test. Each child process loads exactly one,
// so every call site in the measuring loop stays monomorphic and no library
// pays for another's JIT feedback. Each adapter owns its loop so the call is
// made the way a user would make it (awaited when the API returns a promise,
// not awaited when it is synchronous) with no wrapper around it.

import { MemoryStore as ErlMemoryStore } from 'express-rate-limit';
import { TokenBucket } from 'limiter';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import {
  fixedWindow,
  leakyBucket,
  MemoryStore,
  type Policy,
  RateLimiter,
  slidingLog,
  slidingWindow,
  tokenBucket,
} from '../../src/index.js';

/** `accept`: limits so high everything is admitted. `reject`: limit 1 and every key already spent. */
export type Path = 'accept' | 'reject';

/** A library configured for one path, with its measuring loop. */
export interface Subject {
  /** Makes `count` decisions over `keys` round-robin from `start`; resolves to how many were admitted. */
  run(keys: readonly string[], start: number, count: number): Promise<number>;
}

export interface Adapter {
  /** Row label in the report. */
  label: string;
  /** How the API answers, for the report. */
  api: string;
  /** Whether this adapter can express `path` at all. */
  supports(path: Path): boolean;
  /** A fresh instance for `path`, about to be used over `keys` keys. */
  create(path: Path, keys: number): Subject;
}

const HOUR_MS = 3_600_000;
const HIGH = 1_000_000_000;

/** Policies for the accept path: nothing is ever denied during a run. */
function acceptPolicy(name: string, keys: number): Policy {
  switch (name) {
    case 'fixed-window':
      return fixedWindow({ limit: HIGH, window: '1h' });
    case 'sliding-window':
      return slidingWindow({ limit: HIGH, window: '1h' });
    // The log admits at most 100k per window: a 5 ms window keeps a hot key well
    // below that at any rate a single core reaches (10M/s would be 50k). Over
    // 100k keys each key sees a few dozen calls per run: a 1 h window holds
    // them all (a 10 ms one would expire and re-create every key on each visit).
    case 'sliding-log':
      return keys === 1 ? slidingLog({ limit: 100_000, window: 5 }) : slidingLog({ limit: 100_000, window: '1h' });
    case 'token-bucket':
      return tokenBucket({ capacity: HIGH, refillPerSecond: 1_000_000 });
    case 'leaky-bucket':
      return leakyBucket({ capacity: HIGH, leakPerSecond: 1_000_000 });
  }
  throw new Error(`unknown policy ${name}`);
}

/** Policies for the reject path: one unit, nothing comes back within the run. */
function rejectPolicy(name: string): Policy {
  switch (name) {
    case 'fixed-window':
      return fixedWindow({ limit: 1, window: '1h' });
    case 'sliding-window':
      return slidingWindow({ limit: 1, window: '1h' });
    case 'sliding-log':
      return slidingLog({ limit: 1, window: '1h' });
    case 'token-bucket':
      return tokenBucket({ capacity: 1, refillPerSecond: 1 / 3600 });
    case 'leaky-bucket':
      return leakyBucket({ capacity: 1, leakPerSecond: 1 / 3600 });
  }
  throw new Error(`unknown policy ${name}`);
}

/**
 * Policies for the heap measurement: one call per key must leave every key
 * held for the whole measurement. A key whose state is back at full capacity
 * is reclaimed (it behaves like a new key), so the buckets refill slowly here.
 */
function heapPolicy(name: string): Policy {
  switch (name) {
    case 'sliding-log':
      return slidingLog({ limit: 100_000, window: '1h' });
    case 'token-bucket':
      return tokenBucket({ capacity: 1000, refillPerSecond: 1 / 3600 });
    case 'leaky-bucket':
      return leakyBucket({ capacity: 1000, leakPerSecond: 1 / 3600 });
  }
  return acceptPolicy(name, Number.POSITIVE_INFINITY);
}

function flowgate(name: string): Adapter {
  return {
    label: `flowgate ${name}`,
    api: 'promise, resolves `{ allowed }`',
    supports: () => true,
    create(path, keys) {
      const policy = path === 'accept' ? acceptPolicy(name, keys) : rejectPolicy(name);
      return flowgateSubject(new RateLimiter({ policy, store: new MemoryStore() }));
    },
  };
}

function flowgateSubject(limiter: RateLimiter): Subject {
  return {
    async run(keys, start, count) {
      let admitted = 0;
      let i = start % keys.length;
      for (let n = 0; n < count; n++) {
        const decision = await limiter.limit(keys[i] as string);
        if (decision.allowed) admitted++;
        if (++i === keys.length) i = 0;
      }
      return admitted;
    },
  };
}

/**
 * `RateLimiter.decide`: the Decision itself when the store answers
 * synchronously (MemoryStore), a promise otherwise; a user awaits only a promise.
 */
function flowgateDecide(name: string): Adapter {
  return {
    label: `flowgate ${name}, \`decide()\``,
    api: 'synchronous Decision from MemoryStore (a promise only for async stores)',
    supports: () => true,
    create(path, keys) {
      const policy = path === 'accept' ? acceptPolicy(name, keys) : rejectPolicy(name);
      const limiter = new RateLimiter({ policy, store: new MemoryStore() });
      return {
        async run(keys, start, count) {
          let admitted = 0;
          let i = start % keys.length;
          for (let n = 0; n < count; n++) {
            const answer = limiter.decide(keys[i] as string);
            const decision = answer instanceof Promise ? await answer : answer;
            if (decision.allowed) admitted++;
            if (++i === keys.length) i = 0;
          }
          return admitted;
        },
      };
    },
  };
}

const rlf: Adapter = {
  label: 'rate-limiter-flexible RateLimiterMemory',
  api: 'promise; a denial rejects it (caught)',
  supports: () => true,
  create(path) {
    const limiter = new RateLimiterMemory({ points: path === 'accept' ? HIGH : 1, duration: HOUR_MS / 1000 });
    return {
      async run(keys, start, count) {
        let admitted = 0;
        let i = start % keys.length;
        for (let n = 0; n < count; n++) {
          try {
            await limiter.consume(keys[i] as string);
            admitted++;
          } catch (error) {
            // A denial rejects with a RateLimiterRes; anything else is a real failure.
            if (error instanceof Error) throw error;
          }
          if (++i === keys.length) i = 0;
        }
        return admitted;
      },
    };
  },
};

const erl: Adapter = {
  label: 'express-rate-limit MemoryStore',
  api: 'promise (`increment`), caller compares `totalHits` to the limit',
  supports: () => true,
  create(path) {
    const store = new ErlMemoryStore();
    store.init({ windowMs: HOUR_MS } as Parameters<ErlMemoryStore['init']>[0]);
    // What the middleware does with the answer: admitted while the count is within the limit.
    const limit = path === 'accept' ? HIGH : 1;
    return {
      async run(keys, start, count) {
        let admitted = 0;
        let i = start % keys.length;
        for (let n = 0; n < count; n++) {
          const info = await store.increment(keys[i] as string);
          if (info.totalHits <= limit) admitted++;
          if (++i === keys.length) i = 0;
        }
        return admitted;
      },
    };
  },
};

/** `limiter` has no keyed store: a user keeps one bucket per key in a Map. */
function bucketFor(buckets: Map<string, TokenBucket>, key: string, path: Path): TokenBucket {
  let bucket = buckets.get(key);
  if (bucket === undefined) {
    bucket =
      path === 'accept'
        ? new TokenBucket({ bucketSize: HIGH, tokensPerInterval: 1_000_000, interval: 'second' })
        : new TokenBucket({ bucketSize: 1, tokensPerInterval: 1, interval: 'hour' });
    // A new bucket starts empty; start it full like every other library's new key.
    bucket.content = bucket.bucketSize;
    buckets.set(key, bucket);
  }
  return bucket;
}

const limiterSync: Adapter = {
  label: 'limiter TokenBucket.tryRemoveTokens',
  api: 'synchronous boolean (not awaited)',
  supports: () => true,
  create(path) {
    const buckets = new Map<string, TokenBucket>();
    return {
      run(keys, start, count) {
        let admitted = 0;
        let i = start % keys.length;
        for (let n = 0; n < count; n++) {
          if (bucketFor(buckets, keys[i] as string, path).tryRemoveTokens(1)) admitted++;
          if (++i === keys.length) i = 0;
        }
        return Promise.resolve(admitted);
      },
    };
  },
};

const limiterAsync: Adapter = {
  label: 'limiter TokenBucket.removeTokens',
  api: 'promise; waits for tokens instead of denying',
  // removeTokens never denies: on an empty bucket it waits for the refill.
  supports: (path) => path === 'accept',
  create(path) {
    const buckets = new Map<string, TokenBucket>();
    return {
      async run(keys, start, count) {
        let i = start % keys.length;
        for (let n = 0; n < count; n++) {
          await bucketFor(buckets, keys[i] as string, path).removeTokens(1);
          if (++i === keys.length) i = 0;
        }
        return count;
      },
    };
  },
};

/**
 * Not a rate limiter: the least work any promise-based limiter keyed in a Map
 * does per call (one Map lookup, one clock read, one awaited promise). It
 * bounds what the others can reach on this machine.
 */
const floor: Adapter = {
  label: '(reference) Map.get + Date.now() + await',
  api: 'promise, no decision',
  supports: () => true,
  create(path) {
    // 1 = admit. On the reject path a key admits once (the setup pass), then never.
    const seen = new Map<string, number>();
    const spend = path === 'reject';
    return {
      async run(keys, start, count) {
        let admitted = 0;
        let i = start % keys.length;
        for (let n = 0; n < count; n++) {
          const key = keys[i] as string;
          const now = Date.now();
          let verdict = seen.get(key);
          if (verdict === undefined) {
            verdict = 1;
            seen.set(key, spend ? 0 : 1);
          }
          admitted += await Promise.resolve(now > 0 ? verdict : 0);
          if (++i === keys.length) i = 0;
        }
        return admitted;
      },
    };
  },
};

/**
 * Not a rate limiter: the least work any synchronous keyed limiter that reads
 * `Date.now()` and answers with a fresh decision object does per call (one Map
 * lookup, one clock read, one object of the Decision's nine fields). It bounds
 * what `decide()` can reach on this machine, as the promise row bounds `limit()`.
 */
const floorSync: Adapter = {
  label: '(reference) Map.get + Date.now() + a Decision object, synchronous',
  api: 'synchronous, no decision made',
  supports: () => true,
  create(path) {
    const seen = new Map<string, number>();
    const spend = path === 'reject';
    return {
      run(keys, start, count) {
        let admitted = 0;
        let i = start % keys.length;
        for (let n = 0; n < count; n++) {
          const key = keys[i] as string;
          const now = Date.now();
          let verdict = seen.get(key);
          if (verdict === undefined) {
            verdict = 1;
            seen.set(key, spend ? 0 : 1);
          }
          const decision = {
            allowed: verdict === 1,
            limit: 1,
            remaining: verdict,
            resetMs: 0,
            retryAfterMs: 0,
            delayMs: 0,
            degraded: false,
            atMs: now,
            spent: verdict,
          };
          if (decision.allowed) admitted++;
          if (++i === keys.length) i = 0;
        }
        return Promise.resolve(admitted);
      },
    };
  },
};

export const POLICIES = ['fixed-window', 'sliding-window', 'sliding-log', 'token-bucket', 'leaky-bucket'] as const;

/** Every library under test, by id; the rate-limiter-flexible row is the baseline of the ratios shown. */
export const ADAPTERS: Record<string, Adapter> = {
  ...Object.fromEntries(POLICIES.map((name) => [`flowgate:${name}`, flowgate(name)])),
  ...Object.fromEntries(POLICIES.map((name) => [`flowgate-decide:${name}`, flowgateDecide(name)])),
  rlf,
  erl,
  'limiter-sync': limiterSync,
  'limiter-async': limiterAsync,
  floor,
  'floor-sync': floorSync,
};

export const BASELINE = 'rlf';

/** The accept-path subject used to fill a store with one key per call for the heap measurement. */
export function heapSubject(id: string): Subject {
  if (id.startsWith('flowgate:')) {
    const policy = heapPolicy(id.slice('flowgate:'.length));
    return flowgateSubject(new RateLimiter({ policy, store: new MemoryStore() }));
  }
  return (ADAPTERS[id] as Adapter).create('accept', Number.POSITIVE_INFINITY);
}
