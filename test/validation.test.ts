/**
 * Every option of every factory, of RateLimiter and of MemoryStore is checked at
 * construction; every mistake is reported at once with a stable code, the
 * option's name, the value received and what would be valid.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type ErrorCode,
  FlowgateArgumentError,
  FlowgateConfigError,
  FlowgateRangeError,
  fixedWindow,
  leakyBucket,
  MemoryStore,
  type Policy,
  RateLimiter,
  slidingLog,
  slidingWindow,
  tokenBucket,
} from '../src/index.js';

/** [code, option path, the received value as the message shows it] */
type Expected = [ErrorCode, string, string];

/** Asserts that `build` throws a FlowgateConfigError listing exactly `expected`, in order. */
function rejects(build: () => unknown, expected: Expected[]): FlowgateConfigError {
  let caught: unknown;
  try {
    build();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof FlowgateConfigError, `expected a FlowgateConfigError, got ${String(caught)}`);
  assert.ok(caught instanceof TypeError);
  assert.deepEqual(
    caught.issues.map((i) => [i.code, i.option]),
    expected.map(([code, option]) => [code, option]),
  );
  assert.equal(caught.code, expected[0]?.[0], 'code is the first issue');
  for (const [code, option, shown] of expected) {
    assert.ok(
      caught.message.includes(`${option}: received ${shown}, expected `),
      `${option} / ${shown} in:\n${caught.message}`,
    );
    assert.ok(caught.message.includes(`[${code}, see docs/errors.md#${code.toLowerCase()}]`), code);
  }
  return caught;
}

const shown = (value: unknown): string => (typeof value === 'string' ? JSON.stringify(value) : String(value));

const BAD_COUNTS: unknown[] = [0, -1, Number.NaN, 1.5, Number.POSITIVE_INFINITY, '10', null, 1_000_000_001];
const BAD_WINDOWS: [unknown, ErrorCode][] = [
  [0, 'FG_WINDOW_INVALID'],
  [-1, 'FG_WINDOW_INVALID'],
  [Number.NaN, 'FG_WINDOW_INVALID'],
  [1.5, 'FG_WINDOW_INVALID'],
  [Number.POSITIVE_INFINITY, 'FG_WINDOW_INVALID'],
  [2 ** 36 + 1, 'FG_WINDOW_INVALID'],
  ['0s', 'FG_WINDOW_INVALID'],
  ['0.5ms', 'FG_WINDOW_INVALID'],
  ['10 parsecs', 'FG_DURATION_UNPARSABLE'],
  ['', 'FG_DURATION_UNPARSABLE'],
  ['-1s', 'FG_DURATION_UNPARSABLE'],
  ['1e3ms', 'FG_DURATION_UNPARSABLE'],
  ['10', 'FG_DURATION_UNPARSABLE'],
  ['s', 'FG_DURATION_UNPARSABLE'],
];
const BAD_RATES: unknown[] = [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '10', null];

const windowFactories = { fixedWindow, slidingLog, slidingWindow } as const;
const bucketFactories = [
  ['tokenBucket', tokenBucket, 'refillPerSecond'],
  ['leakyBucket', leakyBucket, 'leakPerSecond'],
] as const;

describe('window policies: limit and window', () => {
  for (const [name, factory] of Object.entries(windowFactories)) {
    const make = factory as (options: unknown) => Policy;
    test(`${name}: bad limits`, () => {
      for (const limit of BAD_COUNTS) {
        rejects(() => make({ limit, window: 1000 }), [['FG_LIMIT_INVALID', `${name}.limit`, shown(limit)]]);
      }
      rejects(() => make({ window: 1000 }), [['FG_LIMIT_INVALID', `${name}.limit`, 'undefined']]);
    });

    test(`${name}: bad windows`, () => {
      for (const [window, code] of BAD_WINDOWS) {
        rejects(() => make({ limit: 1, window }), [[code, `${name}.window`, shown(window)]]);
      }
      rejects(() => make({ limit: 1 }), [['FG_WINDOW_INVALID', `${name}.window`, 'undefined']]);
    });

    test(`${name}: durations parse to whole milliseconds`, () => {
      const cases: [unknown, number][] = [
        ['500ms', 500],
        ['10s', 10_000],
        ['1m', 60_000],
        ['1h', 3_600_000],
        ['1d', 86_400_000],
        ['1.5s', 1500],
        ['10 s', 10_000],
        [' 2m ', 120_000],
        [250, 250],
        [2 ** 36, 2 ** 36],
      ];
      for (const [window, ms] of cases) assert.equal(make({ limit: 3, window }).windowMs, ms, String(window));
    });

    test(`${name}: unknown keys and non-object options`, () => {
      rejects(() => make({ limit: 1, window: 1, max: 5 }), [['FG_UNKNOWN_OPTION', `${name}.max`, '5']]);
      for (const options of [undefined, null, 5, 'limit', [1, 2]]) {
        const received = Array.isArray(options) ? 'an array' : shown(options);
        rejects(() => make(options), [['FG_OPTIONS_NOT_OBJECT', name, received]]);
      }
    });

    test(`${name}: several mistakes are reported together`, () => {
      const error = rejects(
        () => make({ limit: 0, window: '10 parsecs', windowMs: 5 }),
        [
          ['FG_UNKNOWN_OPTION', `${name}.windowMs`, '5'],
          ['FG_LIMIT_INVALID', `${name}.limit`, '0'],
          ['FG_DURATION_UNPARSABLE', `${name}.window`, '"10 parsecs"'],
        ],
      );
      assert.match(error.message, /^3 problems in flowgate options:/);
      assert.deepEqual(
        error.issues.map((i) => i.received),
        [5, 0, '10 parsecs'],
      );
    });
  }

  test('slidingLog: at most 100 000 entries per key', () => {
    assert.equal(slidingLog({ limit: 100_000, window: 1 }).limit, 100_000);
    rejects(() => slidingLog({ limit: 100_001, window: 1 }), [['FG_LIMIT_INVALID', 'slidingLog.limit', '100001']]);
  });

  test('slidingWindow: limit x window must stay countable in doubles', () => {
    rejects(
      () => slidingWindow({ limit: 1_000_000_000, window: 2 ** 36 }),
      [['FG_RANGE_UNSAFE', 'slidingWindow.limit', '2000000000']],
    );
    assert.equal(slidingWindow({ limit: 1_000_000_000, window: '1h' }).limit, 1_000_000_000);
    rejects(
      () => slidingWindow({ limit: 1_000_000_000, window: '2h' }),
      [['FG_RANGE_UNSAFE', 'slidingWindow.limit', '2000000000']],
    );
  });
});

describe('bucket policies: capacity and rate', () => {
  for (const [name, factory, rateOption] of bucketFactories) {
    const make = factory as (options: unknown) => Policy;
    test(`${name}: bad capacities`, () => {
      for (const capacity of BAD_COUNTS) {
        rejects(
          () => make({ capacity, [rateOption]: 1 }),
          [['FG_CAPACITY_INVALID', `${name}.capacity`, shown(capacity)]],
        );
      }
    });

    test(`${name}: bad rates`, () => {
      for (const rate of BAD_RATES) {
        rejects(
          () => make({ capacity: 1, [rateOption]: rate }),
          [['FG_RATE_INVALID', `${name}.${rateOption}`, shown(rate)]],
        );
      }
    });

    test(`${name}: rates that cannot be ticked exactly give FG_RATE_TOO_FINE`, () => {
      // 4097/s and 4096.5/s need ticks finer than 1/4096 ms; pi and 0.1 + 0.2 have no small fraction.
      for (const rate of [4097, 4096.5, Math.PI, 0.1 + 0.2]) {
        rejects(
          () => make({ capacity: 1, [rateOption]: rate }),
          [['FG_RATE_TOO_FINE', `${name}.${rateOption}`, shown(rate)]],
        );
      }
    });

    test(`${name}: fine but exact rates are accepted, e.g. 1001/s, 4096/s, 100/60`, () => {
      for (const rate of [1001, 4096, 100 / 60, 0.375, 1 / 3, 0.001, 1 / 4097]) {
        assert.equal(make({ capacity: 2, [rateOption]: rate }).limit, 2, String(rate));
      }
    });

    test(`${name}: capacity x interval must stay countable in doubles`, () => {
      rejects(
        () => make({ capacity: 1_000_000_000, [rateOption]: 1e-9 }),
        [['FG_RANGE_UNSAFE', `${name}.capacity`, '1000000000']],
      );
    });

    test(`${name}: unknown keys, non-object options, several mistakes together`, () => {
      rejects(
        () => make({ capacity: 1, [rateOption]: 1, refillPerMinute: 5, limit: 3 }),
        [
          ['FG_UNKNOWN_OPTION', `${name}.refillPerMinute`, '5'],
          ['FG_UNKNOWN_OPTION', `${name}.limit`, '3'],
        ],
      );
      for (const options of [undefined, null, 7, 'fast']) {
        rejects(() => make(options), [['FG_OPTIONS_NOT_OBJECT', name, shown(options)]]);
      }
      rejects(
        () => make({ capacity: -2, [rateOption]: Number.NaN }),
        [
          ['FG_CAPACITY_INVALID', `${name}.capacity`, '-2'],
          ['FG_RATE_INVALID', `${name}.${rateOption}`, 'NaN'],
        ],
      );
    });
  }

  test('1001 per second is counted exactly: refilled at 1000 ms, not at 999', async () => {
    let now = 1_767_225_600_000;
    const limiter = new RateLimiter({
      policy: tokenBucket({ capacity: 1001, refillPerSecond: 1001 }),
      clock: () => now,
    });
    assert.equal((await limiter.limit('k', { cost: 1001 })).allowed, true);
    now += 999;
    const early = await limiter.limit('k', { cost: 1001 });
    // 999 ms refill 999.999 tokens: 999 whole ones.
    assert.deepEqual([early.allowed, early.retryAfterMs, early.remaining], [false, 1, 999]);
    now += 1;
    assert.equal((await limiter.limit('k', { cost: 1001 })).allowed, true);
  });
});

describe('RateLimiter options', () => {
  const policy = fixedWindow({ limit: 10, window: '1s' });

  test('every option, each wrong, reported together', () => {
    const error = rejects(
      () =>
        new RateLimiter({
          policy: 3,
          store: {},
          prefix: '',
          onStoreError: 'ignore',
          timeoutMs: 0,
          clock: 5,
          shards: 0,
          extra: true,
        } as never),
      [
        ['FG_UNKNOWN_OPTION', 'RateLimiter.extra', 'true'],
        ['FG_POLICY_INVALID', 'RateLimiter.policy', '3'],
        ['FG_STORE_INVALID', 'RateLimiter.store', 'an object'],
        ['FG_PREFIX_INVALID', 'RateLimiter.prefix', '""'],
        ['FG_ON_STORE_ERROR_INVALID', 'RateLimiter.onStoreError', '"ignore"'],
        ['FG_TIMEOUT_INVALID', 'RateLimiter.timeoutMs', '0'],
        ['FG_CLOCK_INVALID', 'RateLimiter.clock', '5'],
        ['FG_SHARDS_INVALID', 'RateLimiter.shards', '0'],
      ],
    );
    assert.equal(error.issues.length, 8);
  });

  test('each option alone', () => {
    rejects(() => new RateLimiter({} as never), [['FG_POLICY_INVALID', 'RateLimiter.policy', 'undefined']]);
    rejects(() => new RateLimiter({ policy: {} } as never), [['FG_POLICY_INVALID', 'RateLimiter.policy', 'an object']]);
    rejects(
      () => new RateLimiter({ policy, store: { get() {} } } as never),
      [['FG_STORE_INVALID', 'RateLimiter.store', 'an object']],
    );
    for (const prefix of ['', 42, null]) {
      rejects(
        () => new RateLimiter({ policy, prefix } as never),
        [['FG_PREFIX_INVALID', 'RateLimiter.prefix', shown(prefix)]],
      );
    }
    for (const onStoreError of ['open', true, 'ALLOW']) {
      rejects(
        () => new RateLimiter({ policy, onStoreError } as never),
        [['FG_ON_STORE_ERROR_INVALID', 'RateLimiter.onStoreError', shown(onStoreError)]],
      );
    }
    // 2^31 ms and more would overflow Node's timers (which then fire after 1 ms): refused, Infinity is the way to wait.
    for (const timeoutMs of [0, -5, Number.NaN, 1.5, '100', Number.NEGATIVE_INFINITY, 2 ** 31, 1e12]) {
      rejects(
        () => new RateLimiter({ policy, timeoutMs } as never),
        [['FG_TIMEOUT_INVALID', 'RateLimiter.timeoutMs', shown(timeoutMs)]],
      );
    }
    assert.equal(new RateLimiter({ policy, timeoutMs: 2 ** 31 - 1 }).timeoutMs, 2 ** 31 - 1);
    // A policy where the options object belongs: the message says what to write.
    assert.throws(() => new RateLimiter(policy as never), /new RateLimiter\(\{ policy: fixedWindow\(…\) \}\)/);
    rejects(() => new RateLimiter({ policy, clock: 5 } as never), [['FG_CLOCK_INVALID', 'RateLimiter.clock', '5']]);
    for (const shards of [0, -1, 1.5, Number.NaN, 11]) {
      rejects(
        () => new RateLimiter({ policy, shards } as never),
        [['FG_SHARDS_INVALID', 'RateLimiter.shards', shown(shards)]],
      );
    }
    for (const options of [undefined, null, 'fast', 3]) {
      rejects(() => new RateLimiter(options as never), [['FG_OPTIONS_NOT_OBJECT', 'RateLimiter', shown(options)]]);
    }
  });

  test('valid options are accepted', () => {
    const limiter = new RateLimiter({
      policy,
      store: new MemoryStore(),
      prefix: 'api',
      onStoreError: 'deny',
      timeoutMs: Number.POSITIVE_INFINITY,
      clock: () => 0,
      shards: 10,
    });
    assert.deepEqual(
      [limiter.prefix, limiter.onStoreError, limiter.timeoutMs, limiter.shards],
      ['api', 'deny', Number.POSITIVE_INFINITY, 10],
    );
    const defaults = new RateLimiter({ policy });
    assert.deepEqual(
      [defaults.prefix, defaults.onStoreError, defaults.timeoutMs, defaults.shards],
      ['flowgate', 'allow', 1000, 1],
    );
  });
});

describe('MemoryStore options', () => {
  test('maxKeys', () => {
    for (const maxKeys of [0, -1, 1.5, Number.NaN, 2 ** 31, '10', null]) {
      rejects(
        () => new MemoryStore({ maxKeys } as never),
        [['FG_MAX_KEYS_INVALID', 'MemoryStore.maxKeys', shown(maxKeys)]],
      );
    }
    assert.equal(new MemoryStore({ maxKeys: 1 }).maxKeys, 1);
    assert.equal(new MemoryStore().maxKeys, 1_000_000);
  });

  test('unknown keys, non-object options, several mistakes together', () => {
    rejects(
      () => new MemoryStore({ maxKeys: 0, ttl: 5 } as never),
      [
        ['FG_UNKNOWN_OPTION', 'MemoryStore.ttl', '5'],
        ['FG_MAX_KEYS_INVALID', 'MemoryStore.maxKeys', '0'],
      ],
    );
    for (const options of [null, 5, 'big']) {
      rejects(() => new MemoryStore(options as never), [['FG_OPTIONS_NOT_OBJECT', 'MemoryStore', shown(options)]]);
    }
  });
});

describe('arguments of limit, peek and reset', () => {
  const limiter = new RateLimiter({ policy: fixedWindow({ limit: 10, window: '1s' }), clock: () => 0 });

  test('keys must be non-empty strings', async () => {
    for (const key of ['', 42, undefined, null, {}]) {
      const text = key !== null && typeof key === 'object' ? 'an object' : shown(key);
      const check = (error: unknown) => {
        assert.ok(error instanceof FlowgateArgumentError);
        assert.equal(error.code, 'FG_KEY_INVALID');
        assert.ok(error.message.includes(`key: received ${text}, expected a non-empty string`), error.message);
        return true;
      };
      await assert.rejects(limiter.limit(key as never), check);
      await assert.rejects(limiter.peek(key as never), check);
      await assert.rejects(limiter.reset(key as never), check);
    }
  });

  test('cost must be a positive whole number', async () => {
    for (const cost of [0, 1.5, -1, Number.NaN, '1', Number.POSITIVE_INFINITY]) {
      await assert.rejects(limiter.limit('k', { cost: cost as never }), (error: unknown) => {
        assert.ok(error instanceof FlowgateArgumentError);
        assert.equal(error.code, 'FG_COST_INVALID');
        assert.ok(error.message.includes(`cost: received ${shown(cost)}`), error.message);
        return true;
      });
    }
    // Nothing was recorded by the rejected calls.
    assert.equal((await limiter.peek('k')).remaining, 9);
  });

  test('a cost above the limit rejects with a RangeError naming both numbers', async () => {
    await assert.rejects(limiter.limit('k', { cost: 11 }), (error: unknown) => {
      assert.ok(error instanceof RangeError);
      assert.ok(error instanceof FlowgateRangeError);
      assert.equal(error.code, 'FG_COST_EXCEEDS_LIMIT');
      assert.match(error.message, /\b11\b.*\b10\b/);
      return true;
    });
    assert.equal((await limiter.limit('k', { cost: 10 })).allowed, true);
  });

  test('with shards, the smallest shard bounds the cost', async () => {
    // 10 over 3 shards: 4 + 3 + 3.
    const sharded = new RateLimiter({ policy: fixedWindow({ limit: 10, window: '1s' }), shards: 3, clock: () => 0 });
    await assert.rejects(sharded.limit('k', { cost: 4 }), (error: unknown) => {
      assert.ok(error instanceof FlowgateRangeError);
      assert.match(error.message, /\b4\b.*\b3\b/);
      return true;
    });
    assert.equal((await sharded.limit('k', { cost: 3 })).allowed, true);
  });
});

test('an unknown option one or two edits from a valid one is suggested', () => {
  const error = rejects(
    () => tokenBucket({ capacity: 1, refillPerSecond: 1, capacty: 2 } as never),
    [['FG_UNKNOWN_OPTION', 'tokenBucket.capacty', '2']],
  );
  assert.match(error.message, /did you mean capacity\?/);
  const far = rejects(
    () => tokenBucket({ capacity: 1, refillPerSecond: 1, burst: 2 } as never),
    [['FG_UNKNOWN_OPTION', 'tokenBucket.burst', '2']],
  );
  assert.doesNotMatch(far.message, /did you mean/);
});

test('cost: null is reported, not taken as the default of 1', async () => {
  const limiter = new RateLimiter({ policy: fixedWindow({ limit: 5, window: 1000 }) });
  await assert.rejects(limiter.limit('k', { cost: null as never }), { code: 'FG_COST_INVALID' });
  assert.equal((await limiter.limit('k', {})).remaining, 4);
});
