/**
 * Script calls Redis ran, from `INFO commandstats` text: `FCALL` (flowgate's
 * Redis Function) plus `EVALSHA` and `EVAL` (where Functions are refused).
 * What batching tests count: one decision burst is one script call, however
 * it is sent.
 */
export function scriptCalls(commandstats: string): number {
  let calls = 0;
  for (const match of commandstats.matchAll(/cmdstat_(?:fcall|evalsha|eval):calls=(\d+)/g)) calls += Number(match[1]);
  return calls;
}
