/**
 * A subscriber that throws. diagnostics_channel calls every subscriber inside
 * `publish`, catches what one throws and re-throws it on the next tick as an
 * uncaught exception: the decision and the other subscribers are unaffected,
 * and the error is the process's to handle (by default, it ends the
 * process, as any uncaught exception does). flowgate's exporters never throw
 * out of their subscribers. Each case runs in a child process, since an
 * uncaught exception is process-wide.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { channel } from 'node:diagnostics_channel';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { CHANNELS, fixedWindow, RateLimiter } from '../../src/index.js';
import { registerMetrics } from '../../src/observe/prometheus.js';

const fixture = fileURLToPath(new URL('fixtures/throwing-subscriber.ts', import.meta.url));

function child(...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  return spawnSync(process.execPath, ['--import', 'tsx', fixture, ...args], { encoding: 'utf8', env, timeout: 60_000 });
}

test('a throwing subscriber changes no decision; the others get every message; its error is uncaught', () => {
  const run = child();
  assert.equal(run.status, 0, run.stderr);
  const out = JSON.parse(run.stdout);
  assert.deepEqual(out.allowed, [true, true, true, true, true, true, true, true, false, false]);
  assert.equal(out.seen, 10, 'the subscriber after the throwing one saw every decision');
  assert.deepEqual(out.uncaught, Array(10).fill('a subscriber bug'), 'one uncaught exception per message');
  assert.deepEqual(out.counted, { allowed: 8, denied: 2, shadow_denied: 0, degraded_allowed: 0, degraded_denied: 0 });
});

test('without an uncaughtException handler, the subscriber bug ends the process (Node’s rule, not flowgate’s)', () => {
  const run = child('unhandled');
  assert.notEqual(run.status, 0);
  assert.match(run.stderr, /Error: a subscriber bug/);
  assert.equal(run.stdout, '', 'it died at the first decision');
});

test('flowgate’s exporters do not throw on a message they cannot read: one warning, counting goes on', async () => {
  const warnings: Error[] = [];
  const onWarning = (warning: Error): void => {
    warnings.push(warning);
  };
  process.on('warning', onWarning);
  const registry = new Registry();
  const metrics = registerMetrics(registry);
  try {
    // Someone else publishing on flowgate's channel names, with messages of another shape.
    channel(CHANNELS.decision).publish({ limiter: 'x' });
    channel(CHANNELS.decision).publish(null);
    channel(CHANNELS.storeError).publish({ limiter: 'x', kind: 'no such kind' });
    const limiter = new RateLimiter({ name: 'after', policy: fixedWindow({ limit: 1, window: '1m' }), clock: () => 0 });
    await limiter.limit('k');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(warnings.filter((w) => (w as { code?: string }).code === 'FG_METRICS_MESSAGE_INVALID').length, 1);
    assert.match(
      await registry.metrics(),
      /^flowgate_decisions_total\{limiter="after",limit="default",outcome="allowed"\} 1$/m,
    );
  } finally {
    metrics.stop();
    process.off('warning', onWarning);
  }
});
