// A small HTTP client and helpers for the adapter suites: real requests, no keep-alive.
import { request } from 'node:http';
import { parseList } from 'structured-headers';
import { type Policy, RateLimiter } from '../../src/index.js';
import type { Running } from './harnesses.js';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export function get(server: Running, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: server.host, port: server.port, path: '/', headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

export async function statuses(server: Running, headerSets: Record<string, string>[]): Promise<number[]> {
  const out: number[] = [];
  for (const headers of headerSets) out.push((await get(server, headers)).status);
  return out;
}

export function memoryLogger() {
  const warns: string[] = [];
  const errors: string[] = [];
  return { warns, errors, warn: (m: string) => warns.push(m), error: (m: string) => errors.push(m) };
}

// 1_000_700 % 60_000 = 40_700: a fixed 60 s window ends in 19.3 s. Waits that are not whole seconds
// tell rounding up (20) from rounding down or to the nearest (19).
export const T0 = 1_000_700;

export function limiterOf(policy: Policy): RateLimiter {
  return new RateLimiter({ policy, clock: () => T0 });
}

/** Every item of a Structured Field List header, as [name, parameters]. */
export function items(header: string | string[] | undefined): [unknown, Map<string, unknown>][] {
  return parseList(String(header)) as [unknown, Map<string, unknown>][];
}

/** The first item of a Structured Field List header, as [name, parameters]. */
export function item(header: string | string[] | undefined): [unknown, Map<string, unknown>] {
  const [first] = parseList(String(header));
  return first as [unknown, Map<string, unknown>];
}
