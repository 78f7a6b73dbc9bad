// Limit sets on a real 3-master Redis Cluster: how many requests are denied
// spuriously while the reservations of doomed requests are being released.
// Each of U users sends R requests at once; a user may make 3 (its limit
// binds), and the org limit is exactly U × 3, so an atomic decision admits
// exactly U × 3. A set whose keys span slots reserves slot by slot: a request
// that its user limit dooms may hold a unit of the org limit for a moment,
// and a concurrent request can be denied by the org limit meanwhile. The
// hashTag row puts the whole set on one slot (one script, atomic) for
// comparison. Not a test: `npm run bench:sets-cluster`; writes
// bench/results/limit-sets-cluster.md.

import { writeFileSync } from 'node:fs';
import { fixedWindow, RateLimiter } from '../src/index.js';
import { RedisStore } from '../src/stores/redis/index.js';
import { connectCluster } from '../test/support/redis-clients.js';
import { startCluster } from '../test/support/redis-cluster.js';

const USERS = Number(process.env.SETS_USERS ?? 200);
const REQUESTS = Number(process.env.SETS_REQUESTS ?? 5);
const ROUNDS = Number(process.env.SETS_ROUNDS ?? 5);
const PER_USER = 3;

const cluster = await startCluster();
const connection = await connectCluster('ioredis', cluster.ports);
let run = 0;

async function once(hashTag: string | undefined): Promise<{ admitted: number; ms: number }> {
  const limiter = new RateLimiter({
    limits: {
      user: fixedWindow({ limit: PER_USER, window: '1h' }),
      org: fixedWindow({ limit: USERS * PER_USER, window: '1h' }),
    },
    store: new RedisStore({ client: connection.client, maxInFlight: 100_000 }),
    prefix: `bench${run++}`,
    hashTag,
    timeoutMs: Infinity,
  });
  const start = performance.now();
  const decisions = await Promise.all(
    // Each user's requests together, as a client's burst arrives.
    Array.from({ length: USERS * REQUESTS }, (_, i) =>
      limiter.limit({ user: `user${Math.floor(i / REQUESTS)}`, org: 'acme' }),
    ),
  );
  return { admitted: decisions.filter((d) => d.allowed).length, ms: performance.now() - start };
}

const rows: string[] = [];
for (const [label, tag] of [
  ['keys on their own slots (reserve, release)', undefined],
  ['hashTag: one slot, one script', 'acme'],
] as const) {
  const spurious: number[] = [];
  let ms = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const result = await once(tag);
    spurious.push(USERS * PER_USER - result.admitted);
    ms += result.ms;
  }
  spurious.sort((a, b) => a - b);
  const total = USERS * REQUESTS;
  rows.push(
    `| ${label} | ${total} | ${USERS * PER_USER} | ${spurious[ROUNDS >> 1]} (${((100 * (spurious[ROUNDS >> 1] as number)) / total).toFixed(2)}%) | ${spurious[0]}–${spurious.at(-1)} | ${Math.round((ROUNDS * total) / (ms / 1000)).toLocaleString('en-US')} |`,
  );
  console.log(rows.at(-1));
}
await connection.close();
await cluster.stop();

const report = `# Limit sets across cluster slots: spurious denials

${USERS} users each send ${REQUESTS} requests at once (all ${USERS * REQUESTS} in flight) through one
limiter with a per-user limit of ${PER_USER} and an org limit of ${USERS * PER_USER} (= what the users may
spend together), fixed windows of an hour, on a local 3-master Redis Cluster. An
atomic decision admits exactly ${USERS * PER_USER}; every request fewer is a spurious
denial: a request denied by the org limit while units reserved by requests
that their user limit doomed were still held. ${ROUNDS} rounds per row, median and range.
Produced by \`npm run bench:sets-cluster\` on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}.

| keys | requests | admissible | spurious denials (median) | range | decisions/s |
|---|---:|---:|---:|---:|---:|
${rows.join('\n')}

No limit ever admits more than it allows in either row (reservations are real
spends, released by an exact refund).
`;
writeFileSync(new URL('results/limit-sets-cluster.md', import.meta.url), report);
console.log(report);
