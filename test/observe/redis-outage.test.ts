/**
 * Both exporters through a Redis outage: a real redis-server, started by the
 * test, paused (calls time out) and killed mid-run (calls fail at once), then
 * restarted. Counted exactly: the real decisions, the degraded ones by
 * outcome, the store errors by kind, the store calls timed; and each
 * limiter's logger gets one line when its outage starts and one when it ends.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { type Decision, RateLimiter, tokenBucket } from '../../src/index.js';
import { recordMetrics } from '../../src/observe/otel.js';
import { METRIC_NAMES, registerMetrics } from '../../src/observe/prometheus.js';
import { type RedisClientLike, RedisStore } from '../../src/stores/redis/index.js';
import { histograms, otelHarness, parseExposition, sample, sums } from '../support/metrics.js';
import { CLIENT_KINDS, connectClient } from '../support/redis-clients.js';
import { type RedisServer, startRedis } from '../support/redis-server.js';

function memoryLogger() {
  const lines: string[] = [];
  return { lines, warn: (m: string) => lines.push(`warn ${m}`), error: (m: string) => lines.push(`error ${m}`) };
}

/** Resolves once the client is connected and ready again ('error' events meanwhile are the outage itself). */
function ready(client: RedisClientLike): Promise<void> {
  return new Promise((resolve) => (client as unknown as NodeJS.EventEmitter).once('ready', () => resolve()));
}

async function times(n: number, limiter: RateLimiter): Promise<Decision[]> {
  const decisions: Decision[] = [];
  for (let i = 0; i < n; i++) decisions.push(await limiter.limit('user:42'));
  return decisions;
}

for (const kind of CLIENT_KINDS) {
  describe(`metrics through a Redis outage (${kind})`, () => {
    let server: RedisServer;
    before(async () => {
      server = await startRedis({ own: true });
    });
    after(async () => {
      await server.stop();
    });

    test('errors by kind, degraded outcomes, store calls timed, one outage line and one recovery line', async () => {
      const registry = new Registry();
      const prometheus = registerMetrics(registry);
      const otel = otelHarness();
      const opentelemetry = recordMetrics(otel.provider);
      const connection = await connectClient(kind, server.url);
      const admin = new Redis(server.url);
      const store = new RedisStore({ client: connection.client });
      const policy = tokenBucket({ capacity: 100, refillPerSecond: 1 });
      const logs = { allow: memoryLogger(), deny: memoryLogger(), slow: memoryLogger() };
      // No offline queue: a call on a dead connection fails at once, so these two need no timeout.
      const allow = new RateLimiter({
        name: 'allow',
        prefix: `${kind}-allow`,
        policy,
        store,
        timeoutMs: Infinity,
        logger: logs.allow,
      });
      const deny = new RateLimiter({
        name: 'deny',
        prefix: `${kind}-deny`,
        policy,
        store,
        onStoreError: 'deny',
        timeoutMs: Infinity,
        logger: logs.deny,
      });
      // A paused server holds every call: only a timeout answers.
      const slow = new RateLimiter({
        name: 'slow',
        prefix: `${kind}-slow`,
        policy,
        store,
        timeoutMs: 100,
        logger: logs.slow,
      });
      try {
        // Up.
        for (const d of [...(await times(5, allow)), ...(await times(5, deny)), ...(await times(1, slow))]) {
          assert.deepEqual([d.allowed, d.degraded], [true, false]);
        }
        // Paused: the calls time out.
        await admin.call('CLIENT', 'PAUSE', '60000', 'WRITE');
        for (const d of await times(2, slow)) assert.deepEqual([d.allowed, d.degraded], [true, true]);
        await admin.call('CLIENT', 'UNPAUSE');
        assert.equal((await slow.limit('user:42')).degraded, false, 'decides again after the pause');
        // Killed mid-run.
        admin.disconnect();
        await server.stop();
        for (const d of await times(3, allow)) assert.deepEqual([d.allowed, d.degraded], [true, true]);
        for (const d of await times(3, deny)) assert.deepEqual([d.allowed, d.degraded], [false, true]);
        // Restarted (empty): the client reconnects by itself.
        const back = ready(connection.client);
        await server.restart();
        await back;
        for (const d of [...(await times(2, allow)), ...(await times(2, deny))]) {
          assert.deepEqual([d.allowed, d.degraded], [true, false]);
        }
      } finally {
        admin.disconnect();
        await connection.close();
      }

      // Prometheus.
      const samples = parseExposition(await registry.metrics());
      prometheus.stop();
      const decisions = (limiter: string, outcome: string) =>
        sample(samples, METRIC_NAMES.decisions, { limiter, limit: 'default', outcome });
      const errors = (limiter: string, errorKind: string) =>
        sample(samples, METRIC_NAMES.storeErrors, { limiter, kind: errorKind });
      assert.deepEqual(
        ['allowed', 'denied', 'degraded_allowed', 'degraded_denied'].map((o) => [
          decisions('allow', o),
          decisions('deny', o),
          decisions('slow', o),
        ]),
        [
          [7, 7, 2],
          [0, 0, 0],
          [3, 0, 2],
          [0, 3, 0],
        ],
      );
      assert.deepEqual(
        ['error', 'timeout', 'late', 'overloaded', 'request'].map((k) => [
          errors('allow', k),
          errors('deny', k),
          errors('slow', k),
        ]),
        [
          [3, 3, 0],
          [0, 0, 2],
          [0, 0, 0],
          [0, 0, 0],
          [0, 0, 0],
        ],
      );
      // Every call the store answered was timed; the failure policy's answers were not.
      for (const [limiter, answered] of [
        ['allow', 7],
        ['deny', 7],
        ['slow', 2],
      ] as const) {
        assert.equal(sample(samples, `${METRIC_NAMES.storeDuration}_count`, { limiter }), answered, limiter);
        assert.equal(sample(samples, `${METRIC_NAMES.storeDuration}_bucket`, { limiter, le: '+Inf' }), answered);
        assert.ok(sample(samples, `${METRIC_NAMES.storeDuration}_sum`, { limiter }) > 0);
      }

      // OpenTelemetry: the same counts.
      const exported = await otel.collect();
      opentelemetry.stop();
      await otel.shutdown();
      const otelDecisions = sums(exported.get('flowgate.decisions'), [
        'flowgate.limiter',
        'flowgate.limit',
        'flowgate.outcome',
      ]);
      for (const [id, value] of Object.entries(otelDecisions)) {
        const [limiter, , outcome] = id.split('/') as [string, string, string];
        assert.equal(value, decisions(limiter, outcome), id);
      }
      const otelErrors = sums(exported.get('flowgate.store.errors'), ['flowgate.limiter', 'error.type']);
      assert.deepEqual(Object.fromEntries(Object.entries(otelErrors).filter(([, v]) => v > 0)), {
        'allow/error': 3,
        'deny/error': 3,
        'slow/timeout': 2,
      });
      const durations = histograms(exported.get('flowgate.store.duration'), 'flowgate.limiter');
      assert.deepEqual(Object.fromEntries(Object.entries(durations).map(([limiter, h]) => [limiter, h.count])), {
        allow: 7,
        deny: 7,
        slow: 2,
      });

      // One line when the outage starts, one when it ends, per limiter; nothing per request.
      for (const [name, log] of Object.entries(logs)) {
        assert.equal(log.lines.length, 2, `${name}:\n${log.lines.join('\n')}`);
        assert.match(
          log.lines[0] as string,
          new RegExp(`^error flowgate: limiter "${name}": the store failed .*FG_STORE_DEGRADED`),
        );
        assert.match(
          log.lines[1] as string,
          new RegExp(`^warn flowgate: limiter "${name}": the store answers again .*FG_STORE_RECOVERED`),
        );
      }
      assert.match(logs.slow.lines[1] as string, /; 2 calls were answered by onStoreError/);
      assert.match(logs.allow.lines[1] as string, /; 3 calls were answered by onStoreError/);
    });
  });
}
