// Child process of bench/limit-sets.ts: ONE library, one scenario, against the
// Redis at <url>, through an ioredis client with default options. Prints one
// JSON line.
// Usage: node --import tsx bench/lib/sets-child.ts <subject> <scenario> <url> <ops> <inFlight>
//   subject: flowgate-set | flowgate-single | rlf-union
//   scenario: hot | spread (limits never reached: decisions/s, p50, p99)
//             overcount (limits that bind: what each limit counted against what it admitted)

import { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterUnion } from 'rate-limiter-flexible';
import { fixedWindow, RateLimiter } from '../../src/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';

export type SubjectId = 'flowgate-set' | 'flowgate-single' | 'rlf-union';
export type Scenario = 'hot' | 'spread' | 'overcount';

export interface ThroughputResult {
  decisionsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export interface OvercountResult {
  requests: number;
  admitted: number;
  /** Per limit: units its counters hold after the run, minus the units of admitted requests. */
  overcount: Record<string, number>;
}

const HIGH = 1_000_000_000;
/** Over-count run: 2000 requests, 100 users in 10 orgs; the org and global limits bind. */
const BINDING = { user: 30, org: 150, global: 1000 } as const;
const OVERCOUNT_REQUESTS = 2000;
const NAMES = ['user', 'org', 'global'] as const;

/** The keys of request `n`: one user, org and global key for every request when hot. */
function keysOf(scenario: Scenario, n: number): [string, string, string] {
  if (scenario === 'hot') return ['u0', 'o0', 'all'];
  const users = scenario === 'spread' ? 10_000 : 100;
  const orgs = scenario === 'spread' ? 100 : 10;
  const user = n % users;
  return [`u${user}`, `o${user % orgs}`, 'all'];
}

/** One RateLimiterRedis of a Union, counting the part of the composite key 'user|org|global' it limits. */
class PartLimiter extends RateLimiterRedis {
  constructor(
    options: ConstructorParameters<typeof RateLimiterRedis>[0],
    private readonly part: number,
  ) {
    super(options);
  }
  override getKey(key: string | number): string {
    return super.getKey(String(key).split('|')[this.part] as string);
  }
}

/** Decides request `n`; resolves to whether it was admitted. */
type Call = (n: number) => Promise<boolean>;

function subject(id: SubjectId, scenario: Scenario, client: Redis): Call {
  const limitOf = (name: (typeof NAMES)[number]): number => (scenario === 'overcount' ? BINDING[name] : HIGH);
  if (id === 'rlf-union') {
    const union = new RateLimiterUnion(
      ...NAMES.map(
        (name, i) =>
          new PartLimiter({ storeClient: client, keyPrefix: `rlf-${name}`, points: limitOf(name), duration: 3600 }, i),
      ),
    );
    return (n) =>
      union.consume(keysOf(scenario, n).join('|')).then(
        () => true,
        (rejection: unknown) => {
          if (rejection instanceof Error) throw rejection;
          return false;
        },
      );
  }
  const store = new RedisStore({ client });
  if (id === 'flowgate-single') {
    const limiter = new RateLimiter({
      policy: fixedWindow({ limit: limitOf('user'), window: '1h' }),
      store,
      prefix: 'fg1',
      onStoreError: 'throw',
    });
    return async (n) => (await limiter.limit(keysOf(scenario, n)[0])).allowed;
  }
  const limiter = new RateLimiter({
    limits: {
      user: fixedWindow({ limit: limitOf('user'), window: '1h' }),
      org: fixedWindow({ limit: limitOf('org'), window: '1h' }),
      global: fixedWindow({ limit: limitOf('global'), window: '1h' }),
    },
    store,
    prefix: 'fg3',
    onStoreError: 'throw',
  });
  return async (n) => {
    const [user, org, global] = keysOf(scenario, n);
    return (await limiter.limit({ user, org, global })).allowed;
  };
}

/** `total` calls with `inFlight` workers; per-call latencies in ms into `latencies` when given. */
async function drive(call: Call, from: number, total: number, inFlight: number, latencies?: Float64Array) {
  let next = 0;
  let admitted = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      const i = next++;
      const started = performance.now();
      if (await call(from + i)) admitted++;
      if (latencies) latencies[i] = performance.now() - started;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return admitted;
}

/** Sums the integer counters of the keys matching `pattern`. */
async function sumCounters(client: Redis, pattern: string): Promise<number> {
  let cursor = '0';
  let sum = 0;
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) sum += Number(await client.get(key));
  } while (cursor !== '0');
  return sum;
}

async function main(): Promise<void> {
  const [id, scenario, url, opsArg = '20000', inFlightArg = '64'] = process.argv.slice(2) as [
    SubjectId,
    Scenario,
    string,
  ];
  const client = new Redis(url);
  const call = subject(id, scenario, client);
  const inFlight = Number(inFlightArg);
  if (scenario === 'overcount') {
    const admitted = await drive(call, 0, OVERCOUNT_REQUESTS, inFlight);
    const overcount: Record<string, number> = {};
    for (const name of NAMES) {
      // Every admitted request spends 1 unit in each limit; anything more was counted for a denial.
      const pattern =
        id === 'rlf-union'
          ? `rlf-${name}:*`
          : id === 'flowgate-set'
            ? `{fg3:*}:fw:3600000:${name}`
            : `{fg1:*}:fw:3600000`;
      if (id === 'flowgate-single' && name !== 'user') continue;
      overcount[name] = (await sumCounters(client, pattern)) - admitted;
    }
    const result: OvercountResult = { requests: OVERCOUNT_REQUESTS, admitted, overcount };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    const ops = Number(opsArg);
    await drive(call, 0, Math.min(ops, 4000), inFlight);
    const latencies = new Float64Array(ops);
    const started = performance.now();
    const admitted = await drive(call, 4000, ops, inFlight, latencies);
    const seconds = (performance.now() - started) / 1000;
    if (admitted !== ops) throw new Error(`${id} ${scenario}: ${ops - admitted} denied on the accept path`);
    latencies.sort();
    const result: ThroughputResult = {
      decisionsPerSecond: ops / seconds,
      p50Ms: latencies[Math.floor(ops * 0.5)] as number,
      p99Ms: latencies[Math.floor(ops * 0.99)] as number,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  }
  client.disconnect();
}

await main();
