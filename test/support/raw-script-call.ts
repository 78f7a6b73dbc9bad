import type { Redis } from 'ioredis';

/** One request of a raw script call: its key (one limit) and its op with the op's own arguments. */
export type RawRequest = readonly [key: string, args: readonly string[]];

/**
 * Calls flowgate's general script directly, `FCALL` of its library or `EVAL` of its text, as
 * RedisStore calls it for a set across slots or a released reservation: an explicit clock, the
 * value encoding, one limit described by `limit` (ARGV[5], e.g. `sl,10,10000,,;`), and per
 * request its op, nowMs and the op's own arguments. Resolves with the array reply.
 */
export async function rawScriptCall(
  admin: Redis,
  command: 'FCALL' | 'EVAL',
  name: string,
  limit: string,
  requests: readonly RawRequest[],
): Promise<(number | string)[]> {
  const args = [
    String(requests.length),
    ...requests.map(([key]) => key),
    'x',
    'v',
    '0',
    '',
    limit,
    ...requests.flatMap(([, op]) => op),
  ];
  return (await admin.call(command, name, ...args)) as (number | string)[];
}
