/**
 * An independent gRPC client that shares no code with the service: protoc
 * encodes the request from text format, curl carries it over plaintext HTTP/2
 * (one curl per call: Debian's curl 7.88 fails a second request on a reused
 * h2c connection), protoc decodes the reply. Only the 5-byte gRPC message
 * prefix is written here.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './service.js';

const PROTO = fileURLToPath(new URL('../../../proto/', import.meta.url));
const FILE = 'envoy/service/ratelimit/v3/rls.proto';
const dir = tempDir('protoc');
let calls = 0;

function protoc(mode: '--encode' | '--decode', type: string, input: Buffer | string): Buffer {
  const run = spawnSync('protoc', [`-I${PROTO}`, '-I/usr/include', `${mode}=${type}`, FILE], {
    input,
    maxBuffer: 1 << 20,
  });
  if (run.status !== 0) throw new Error(`protoc ${mode} failed: ${run.stderr.toString()}`);
  return run.stdout;
}

export interface CurlReply {
  /** The gRPC status from the trailers (0: OK). */
  grpcStatus: number;
  /** protoc's text format of the RateLimitResponse ('' when the call failed). */
  text: string;
}

/** One ShouldRateLimit call; `request` is a RateLimitRequest in protobuf text format. */
export function callWithCurl(port: number, request: string): CurlReply {
  const message = protoc('--encode', 'envoy.service.ratelimit.v3.RateLimitRequest', request);
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  message.copy(frame, 5);
  const n = ++calls;
  const body = join(dir, `request-${n}.bin`);
  const out = join(dir, `reply-${n}.bin`);
  const headers = join(dir, `headers-${n}.txt`);
  writeFileSync(body, frame);
  const run = spawnSync('curl', [
    '--silent',
    '--show-error',
    '--http2-prior-knowledge',
    '-X',
    'POST',
    '-H',
    'content-type: application/grpc',
    '-H',
    'te: trailers',
    '--data-binary',
    `@${body}`,
    '-D',
    headers,
    '-o',
    out,
    `http://127.0.0.1:${port}/envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit`,
  ]);
  if (run.status !== 0) throw new Error(`curl failed: ${run.stderr.toString()}`);
  const status = /^grpc-status: (\d+)/im.exec(readFileSync(headers, 'utf8'));
  const grpcStatus = status ? Number(status[1]) : -1;
  const reply = readFileSync(out);
  if (reply.length < 5) return { grpcStatus, text: '' };
  const length = reply.readUInt32BE(1);
  const text = protoc(
    '--decode',
    'envoy.service.ratelimit.v3.RateLimitResponse',
    reply.subarray(5, 5 + length),
  ).toString();
  return { grpcStatus, text };
}

/** A RateLimitRequest in text format. */
export function textRequest(
  domain: string,
  descriptors: { entries: [string, string][]; hits?: number }[],
  hits = 0,
): string {
  const ds = descriptors
    .map((descriptor) => {
      const entries = descriptor.entries
        .map(([k, v]) => `entries { key: ${JSON.stringify(k)} value: ${JSON.stringify(v)} }`)
        .join(' ');
      const addend = descriptor.hits === undefined ? '' : ` hits_addend { value: ${descriptor.hits} }`;
      return `descriptors { ${entries}${addend} }`;
    })
    .join('\n');
  return `domain: ${JSON.stringify(domain)}\n${ds}\n${hits > 0 ? `hits_addend: ${hits}\n` : ''}`;
}

/** The overall code, and per status its code, remaining count and limit (from protoc's text). */
export function summary(text: string): {
  overall: string;
  statuses: { code: string; remaining: number; limit: number | undefined }[];
} {
  const overall = /^overall_code: (\w+)/m.exec(text)?.[1] ?? 'UNKNOWN';
  const statuses = [...text.matchAll(/^statuses \{\n([\s\S]*?)^\}/gm)].map((m) => {
    const block = m[1] as string;
    const remaining = /^ {2}limit_remaining: (\d+)/m.exec(block);
    const limit = /requests_per_unit: (\d+)/.exec(block);
    return {
      code: /^ {2}code: (\w+)/m.exec(block)?.[1] ?? 'UNKNOWN',
      remaining: remaining ? Number(remaining[1]) : 0,
      limit: limit ? Number(limit[1]) : undefined,
    };
  });
  return { overall, statuses };
}
