// h2load (Debian's nghttp2-client) as a gRPC load generator for bench/serve.ts:
// a C HTTP/2 client that costs far less CPU per request than a grpc-js client,
// so on a shared 2-core box the service, not the generator, is what is
// measured. It sends one fixed body (a 5-byte gRPC frame header and the
// protobuf message from `protoc --encode`) at a fixed rate per connection
// (--rps) and logs each request's latency (--log-file), from which p50/p99
// are taken. gRPC answers every call with HTTP 200; the gRPC status is in
// the trailers, which h2load does not read: the caller counts non-OK calls
// from the service's own metrics.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PROTO_DIR = fileURLToPath(new URL('../../proto/', import.meta.url));
const METHOD = '/envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit';

/** Whether h2load is installed (`apt-get install -y nghttp2-client`). */
export function hasH2load(): boolean {
  return spawnSync('h2load', ['--version'], { encoding: 'utf8' }).status === 0;
}

/** A RateLimitRequest in protobuf text format, as a gRPC request body (frame header + message). */
export function grpcBody(textFormat: string): Buffer {
  const encoded = spawnSync(
    'protoc',
    [
      `--proto_path=${PROTO_DIR}`,
      '--encode=envoy.service.ratelimit.v3.RateLimitRequest',
      'envoy/service/ratelimit/v3/rls.proto',
    ],
    { input: textFormat },
  );
  if (encoded.status !== 0) throw new Error(`protoc --encode failed: ${encoded.stderr}`);
  const message = encoded.stdout;
  const frame = Buffer.alloc(5);
  frame.writeUInt32BE(message.length, 1);
  return Buffer.concat([frame, message]);
}

export interface H2loadResult {
  offered: number;
  achieved: number;
  p50: number;
  p99: number;
  /** Requests h2load saw fail (connection errors, HTTP status other than 200, timeouts). */
  failed: number;
}

/**
 * Offers `rate` calls per second for `seconds` over `connections` HTTP/2
 * connections (each at `rate / connections` per second, up to `streams`
 * concurrent calls each), and reads every call's latency from h2load's log.
 */
export async function h2loadRun(options: {
  port: number;
  body: Buffer;
  rate: number;
  seconds: number;
  connections: number;
  streams: number;
}): Promise<H2loadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'serve-bench-h2load-'));
  const bodyFile = join(dir, 'body.bin');
  const logFile = join(dir, 'log.tsv');
  writeFileSync(bodyFile, options.body);
  const perConnection = Math.max(1, Math.round(options.rate / options.connections));
  const total = perConnection * options.connections * options.seconds;
  const started = performance.now();
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(
      'h2load',
      [
        '-n',
        String(total),
        '-c',
        String(options.connections),
        '-m',
        String(options.streams),
        '--rps',
        String(perConnection),
        '-d',
        bodyFile,
        '-H',
        'content-type: application/grpc',
        '-H',
        'te: trailers',
        '--log-file',
        logFile,
        `http://127.0.0.1:${options.port}${METHOD}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`h2load exited ${code}: ${out}`))));
  });
  const elapsed = (performance.now() - started) / 1000;
  // Each line: start time (µs since the epoch), HTTP status, latency (µs).
  const latencies: number[] = [];
  let failed = 0;
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    const [, status, micros] = line.split('\t');
    if (status === undefined || micros === undefined) continue;
    if (status !== '200') failed++;
    else latencies.push(Number(micros) / 1000);
  }
  const notDone = /(\d+) failed, (\d+) errored, (\d+) timeout/.exec(output);
  if (notDone !== null) failed += Number(notDone[2]) + Number(notDone[3]);
  latencies.sort((a, b) => a - b);
  const at = (p: number): number =>
    latencies[Math.min(latencies.length - 1, Math.floor((latencies.length * p) / 100))] ?? Number.NaN;
  return {
    offered: perConnection * options.connections,
    achieved: Math.round(latencies.length / elapsed),
    p50: at(50),
    p99: at(99),
    failed,
  };
}
