import { createHash } from 'node:crypto';
import type { Algorithm, Policy } from '../../policies/policy.js';
import { BUCKET_LUA } from './lua/bucket.lua.js';
import { FIXED_WINDOW_LUA } from './lua/fixed-window.lua.js';
import { SLIDING_LOG_LUA } from './lua/sliding-log.lua.js';
import { SLIDING_WINDOW_LUA } from './lua/sliding-window.lua.js';

/** A Lua script and the SHA1 of its exact text, as `EVALSHA` expects. */
export interface Script {
  readonly text: string;
  readonly sha: string;
}

function script(text: string): Script {
  return { text, sha: createHash('sha1').update(text).digest('hex') };
}

/** The scripts are kept as string constants so that tsx (from src) and tsup (into dist) both carry them. */
export const SCRIPTS: Readonly<Record<'bucket' | 'fixedWindow' | 'slidingWindow' | 'slidingLog', Script>> = {
  bucket: script(BUCKET_LUA),
  fixedWindow: script(FIXED_WINDOW_LUA),
  slidingWindow: script(SLIDING_WINDOW_LUA),
  slidingLog: script(SLIDING_LOG_LUA),
};

const BY_ALGORITHM: Readonly<Record<Algorithm, Script>> = {
  'token-bucket': SCRIPTS.bucket,
  'leaky-bucket': SCRIPTS.bucket,
  'fixed-window': SCRIPTS.fixedWindow,
  'sliding-window': SCRIPTS.slidingWindow,
  'sliding-log': SCRIPTS.slidingLog,
};

/** The script deciding `policy`, and its parameters: ARGV[2] on, after the clock mode (see lua/prelude.lua.ts). */
export function scriptFor(policy: Policy): { script: Script; params: string[] } {
  const params = policy.params.map((value) => String(value));
  if (policy.algorithm === 'token-bucket') params.push('0');
  if (policy.algorithm === 'leaky-bucket') params.push('1');
  return { script: BY_ALGORITHM[policy.algorithm], params };
}
