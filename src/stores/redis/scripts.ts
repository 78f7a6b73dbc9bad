import { createHash } from 'node:crypto';
import { BUCKET_LUA } from './lua/bucket.lua.js';
import { FIXED_WINDOW_LUA } from './lua/fixed-window.lua.js';
import { MAIN_LUA } from './lua/main.lua.js';
import { PRELUDE_LUA } from './lua/prelude.lua.js';
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

/**
 * flowgate's one script: every policy, every operation (limit, peek, refund,
 * reset), one or several limits per request. Kept as string constants so
 * that tsx (from src) and tsup (into dist) both carry it.
 */
export const SCRIPT: Script = script(
  PRELUDE_LUA + FIXED_WINDOW_LUA + SLIDING_WINDOW_LUA + BUCKET_LUA + SLIDING_LOG_LUA + MAIN_LUA,
);
