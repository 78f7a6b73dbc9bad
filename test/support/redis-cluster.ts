/**
 * A throwaway Redis Cluster for tests: 3 masters on free loopback ports, no
 * replicas, persistence off, node configs in a temporary directory.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { promisify } from 'node:util';
import { freePort, redisCli, spawnRedis } from './redis-server.js';
import { until } from './until.js';

const run = promisify(execFile);

export interface RedisCluster {
  /** The masters' ports on 127.0.0.1. */
  readonly ports: readonly number[];
  /** The port of the master serving `key` (its slot computed here, checked against CLUSTER KEYSLOT in the tests). */
  masterOf(key: string): number;
  stop(): Promise<void>;
}

export async function startCluster(masters = 3): Promise<RedisCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'flowgate-cluster-'));
  const ports: number[] = [];
  while (ports.length < masters) {
    const port = await freePort();
    if (!ports.includes(port)) ports.push(port);
  }
  const children = await Promise.all(
    ports.map((port) =>
      spawnRedis(
        port,
        ['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--dir', dir],
        dir,
      ),
    ),
  );
  const stop = async (): Promise<void> => {
    await Promise.all(
      children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }),
    );
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await run('redis-cli', [
      '--cluster',
      'create',
      ...ports.map((port) => `127.0.0.1:${port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    // Gossip takes as long as the machine lets it: no deadline of ours (the runner's timeout is the bound).
    await until(() => ports.every((port) => redisCli(port, 'CLUSTER', 'INFO').includes('cluster_state:ok')));
  } catch (error) {
    await stop();
    throw error;
  }
  // Slot ranges per master, from CLUSTER SHARDS-free CLUSTER SLOTS output of one node.
  const slots = parseSlots(redisCli(ports[0] as number, '--raw', 'CLUSTER', 'SLOTS'));
  return {
    ports,
    masterOf(key: string): number {
      const slot = keySlot(key);
      const range = slots.find((r) => slot >= r.from && slot <= r.to);
      if (!range) throw new Error(`no master serves slot ${slot}`);
      return range.port;
    },
    stop,
  };
}

/** `CLUSTER SLOTS --raw`: per range, from, to, then host, port, id of each node (master first). */
function parseSlots(raw: string): { from: number; to: number; port: number }[] {
  const lines = raw.split('\n').map((line) => line.trim());
  const ranges: { from: number; to: number; port: number }[] = [];
  for (let i = 0; i + 4 < lines.length; i++) {
    const [from, to, host, port] = [lines[i], lines[i + 1], lines[i + 2], lines[i + 3]];
    if (/^\d+$/.test(from ?? '') && /^\d+$/.test(to ?? '') && host === '127.0.0.1' && /^\d+$/.test(port ?? '')) {
      ranges.push({ from: Number(from), to: Number(to), port: Number(port) });
      i += 4;
    }
  }
  return ranges;
}

/** CRC16/XMODEM of the key's hash tag (or of the whole key), mod 16384: Redis Cluster's key slot. */
export function keySlot(key: string): number {
  let bytes = Buffer.from(key, 'utf8');
  const open = bytes.indexOf(0x7b);
  if (open >= 0) {
    const close = bytes.indexOf(0x7d, open + 1);
    if (close > open + 1) bytes = bytes.subarray(open + 1, close);
  }
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

/**
 * A cluster for the enclosing scope (a test file's top level or a
 * `describe`): started by a `before` hook it registers, stopped by an `after`
 * hook. Read its fields inside tests, once the hook has run.
 */
export function clusterFixture(masters = 3): RedisCluster {
  let started: RedisCluster | undefined;
  const current = (): RedisCluster => {
    if (started === undefined) throw new Error('the cluster starts in before(): read it inside a test');
    return started;
  };
  before(async () => {
    started = await startCluster(masters);
  });
  after(async () => {
    await started?.stop();
  });
  return {
    get ports() {
      return current().ports;
    },
    masterOf: (key) => current().masterOf(key),
    stop: () => current().stop(),
  };
}
