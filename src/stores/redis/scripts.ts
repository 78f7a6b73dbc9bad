import { createHash } from 'node:crypto';
import { BUCKET_LUA } from './lua/bucket.lua.js';
import { FIXED_WINDOW_LUA } from './lua/fixed-window.lua.js';
import { limitsLua } from './lua/limits.lua.js';
import { LONE_LUA } from './lua/lone.lua.js';
import { MAIN_LUA } from './lua/main.lua.js';
import { PLAIN_LUA } from './lua/plain.lua.js';
import { CALL_HEAD_LUA, PRELUDE_LUA } from './lua/prelude.lua.js';
import { REQUESTS_LUA } from './lua/requests.lua.js';
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

/** Each policy's Lua, in the order a script carries them: the local table it defines, and its text. */
const MODULES: readonly { table: string; codes: readonly string[]; text: string }[] = [
  { table: 'fixedWindow', codes: ['fw'], text: FIXED_WINDOW_LUA },
  { table: 'slidingWindow', codes: ['sw'], text: SLIDING_WINDOW_LUA },
  { table: 'bucket', codes: ['tb', 'lb'], text: BUCKET_LUA },
  { table: 'slidingLog', codes: ['sl'], text: SLIDING_LOG_LUA },
];

/** All algorithm codes of the script's ARGV (see lua/prelude.lua.ts). */
const ALL_CODES = MODULES.flatMap((module) => module.codes);

function modulesFor(codes: ReadonlySet<string>): typeof MODULES {
  return MODULES.filter((module) => module.codes.some((code) => codes.has(code)));
}

/**
 * The definitions (run once per library, or once per EVAL): the prelude, the
 * policies, their table, how a call reads its limits (kept across calls by a
 * library: `cache`), how it decides a request and a plain batch.
 */
function definitions(codes: ReadonlySet<string>, cache: boolean): string {
  const modules = modulesFor(codes);
  const entries = modules.flatMap((module) => module.codes.map((code) => `${code} = ${module.table}`));
  return `${PRELUDE_LUA}${modules.map((module) => module.text).join('')}\nlocal ALGORITHMS = {${entries.join(', ')}}\n${limitsLua(cache)}${REQUESTS_LUA}${PLAIN_LUA}`;
}

/** What every call runs: its head (arguments, clock, deadline), then the body. Reads KEYS and ARGV. */
const CALL_LUA = `${CALL_HEAD_LUA}${MAIN_LUA}`;

function build(codes: ReadonlySet<string>): Script {
  return script(`${definitions(codes, false)}${CALL_LUA}`);
}

/**
 * flowgate's script with every policy, every operation (limit, peek, refund,
 * reset), one or several limits per request. Kept as string constants so
 * that tsx (from src) and tsup (into dist) both carry it.
 */
export const SCRIPT: Script = build(new Set(ALL_CODES));

const byAlgorithms = new Map<string, Script>();

/**
 * The script for limits of the given algorithm codes: the same text as
 * {@link SCRIPT} with only the policies it needs. Redis runs a script's whole
 * body on every call, so each policy carried costs its function definitions
 * (closures, tables, garbage) on every call: about a third of a lone token
 * bucket call's work in Redis when the script carried all four.
 */
export function scriptFor(codes: readonly string[]): Script {
  const wanted = new Set(codes);
  const name = modulesFor(wanted)
    .map((module) => module.table)
    .join(',');
  let found = byAlgorithms.get(name);
  if (found === undefined) {
    found = build(wanted);
    byAlgorithms.set(name, found);
  }
  return found;
}

/** A Redis Function library: its name (also its general function's), its lone function's, and its code, for `FUNCTION LOAD`. */
export interface Library {
  readonly name: string;
  /** The function for one request on one limit on the server's TIME: see lua/lone.lua.ts. */
  readonly lone: string;
  readonly code: string;
}

/**
 * flowgate's script as a Redis Function library (Redis >= 7): the same text
 * as {@link SCRIPT}, its definitions run once when the library is loaded and
 * each `FCALL` running only the call's own part (as a function of KEYS and
 * ARGV). An `EVALSHA` runs the whole text, definitions included, on every
 * call: for a lone token bucket call that was about a fifth of its work in
 * Redis. Every policy is carried, as carrying one costs nothing per call.
 *
 * The name holds a hash of the code, and Function names are global to a
 * server: two flowgate versions sharing one Redis (a rolling deploy) each load
 * and call their own library, and neither replaces the other's.
 */
export const LIBRARY: Library = library();

function library(): Library {
  const body = `${definitions(new Set(ALL_CODES), true)}local function decide(KEYS, ARGV)\n${CALL_LUA}\nend\n${LONE_LUA}`;
  const name = `flowgate_${createHash('sha1').update(body).digest('hex').slice(0, 20)}`;
  const lone = `${name}_1`;
  return {
    name,
    lone,
    code: `#!lua name=${name}\n${body}redis.register_function('${name}', decide)\nredis.register_function('${lone}', decideLone)\n`,
  };
}
