/**
 * The head of flowgate's one Redis script: the arithmetic every policy shares
 * and the state of the call in progress (PRELUDE_LUA), then what every call
 * does first (CALL_HEAD_LUA): its arguments, the clock. The script decides a
 * batch of requests in order; each request is decided against every limit
 * of its limiter, all or nothing. KEYS holds `L` keys per request (limit j of
 * request r is `KEYS[(r - 1) * L + j]`), or `L` keys for all (ARGV[2]).
 *
 * ARGV[1] clock: '' to decide on the server's TIME; otherwise each request
 *   carries its `nowMs` (the limiter's explicit clock).
 * ARGV[2] encoding: 'e' to keep part of a counter's state in the key's
 *   absolute expiry (Redis >= 7; the state's clock must be the server's, or
 *   ahead of it), 'v' to keep all of it in the value under a relative TTL;
 *   'E' and 'V' as 'e' and 'v', with the reply packed (below). Followed by a
 *   count N (e.g. 'E32'): the call has N requests that all use the same keys,
 *   and KEYS holds them once (`L` keys: a hot key's batch, whose keys would
 *   otherwise cost the client and Redis an argument each per request).
 * ARGV[3] expiryMarginMs: with an explicit clock, how long a key outlives its
 *   state (room for callers whose clocks lag).
 * ARGV[4] deadline: the server time (ms) after which the caller has given up
 *   and nothing may be committed, or ''.
 * ARGV[5] the limits of each request (L of them): per limit its algorithm
 *   ('fw', 'sw', 'sl', 'tb', 'lb'), three parameters and 's' for a shadow
 *   limit (else ''), either as one string, `code,p1,p2,p3,s;` per limit, or
 *   expanded: L, then those 5 arguments per limit (see limits.lua.ts).
 * Then each request's arguments, or none at all for a batch of cost-1
 *   limits on the server's TIME: an op (a cost: limit; 'p': peek; 'd':
 *   reset; 'r': refund; 'R': refund, then report each limit's state; 'z':
 *   report each limit's state; 'e': each limit's verdict for a cost,
 *   committing nothing, those that admit reporting their state), `nowMs`
 *   with an explicit clock, then for 'e' its cost, for a refund per limit the
 *   admission's atMs, resetMs and the units to give back ('' to skip; atMs
 *   'L' for the key's latest admission).
 *
 * Reply: the server time read (0 if none), then 1, or 0 when the deadline had
 * passed (then nothing was done and nothing follows); then per request a
 * status, 1 or 0, and for 0 an error message; for a limit, a peek, 'R', 'z'
 * and 'e', 7 numbers per limit: allowed (1|0), remaining, resetMs, retryAfterMs,
 * delayMs, atMs, spent (the units committed). With the limits as one string
 * (ARGV[5]), a limit of one cost for all that every limit admitted at the
 * request's nowMs with no wait and no delay has status 2 and only remaining
 * and resetMs per limit (allowed 1, retryAfterMs and delayMs 0, atMs its
 * nowMs, spent its cost); with a delay in some limit (a leaky bucket's
 * queue), status 3 and remaining, resetMs and delayMs per limit.
 *
 * Packed ('E' or 'V' in ARGV[2], for a client that can take binary replies):
 * the same reply as one MessagePack string (cmsgpack.pack of the reply's
 * array; a call stopped by its deadline, or on a server without cmsgpack,
 * still answers the plain array). Redis
 * writes each number of an array reply as a RESP integer that the client
 * decodes one by one (ioredis: a few thousand instructions each, about a
 * quarter of a batched decision's client work); one string is one bulk reply,
 * read by a loop over its bytes, and costs Redis no more than the array.
 *
 * Lua numbers are doubles, like JS numbers; math.fmod is C's fmod, the same
 * truncated remainder as JS `%` (exact, where `a % b` in Lua 5.1 divides and
 * can round). Numbers inside a stored string are written with fmt below,
 * never with tostring or '..' (which use %.14g). A whole argument that is an
 * integer (a count, an expiry, a TTL) goes to redis.call as a Lua number:
 * Redis 7.0 formats it with %.17g, exact for integers below 10^17, and 7.2+
 * with its integer printer; both without a Lua string to build and intern.
 */
export const PRELUDE_LUA = `
-- The call's own state, set by CALL_HEAD_LUA at the start of every call: as
-- upvalues, the functions below are defined once per Redis Function library
-- (or once per EVAL) and read the current call's values.
local explicitClock, expiryMarginMs, serverNowMs, inExpiry
-- The caller takes the reply packed: see MAIN_LUA's last line.
local packed
-- The number of requests when they all use KEYS[1 .. L] (ARGV[2] above), else nil.
local repeats
-- Counter states read in this call, by key, so that a key is read once and
-- written once however many requests it has; written: keys to save, in order.
local states, written

-- An integer's decimal digits. '%d' (a C long) costs about half of '%.0f' in
-- Redis (~2k instructions against ~5k): whole numbers go that way, in two
-- halves above 2^31 so that a 32-bit long stays exact; the rest keep '%.0f'.
local function fmt(x)
  if x % 1 == 0 and x >= 0 and x < 9007199254740992 then
    if x < 2147483648 then return string.format('%d', x) end
    local high = math.floor(x / 1000000000)
    return string.format('%d%09d', high, x - high * 1000000000)
  end
  return string.format('%.0f', x)
end

local function ceilDiv(a, b)
  local r = math.fmod(a, b)
  return (a - r) / b + (r > 0 and 1 or 0)
end

local function floorDiv(a, b)
  local r = math.fmod(a, b)
  return (a - r) / b - (r < 0 and 1 or 0)
end

local function truncDiv(a, b)
  return (a - math.fmod(a, b)) / b
end

-- The error of a redis.pcall, or nil. A GET's answer is false (no key), a string or an error table:
-- the policies' loads test stored.err themselves (a string's fields are the string library's, which
-- has no err), sparing this call and its type() on every decision.
local function failed(result)
  if type(result) == 'table' and result.err then return result.err end
  return nil
end

local NOT_OURS = 'flowgate: the key holds a value flowgate did not write'
-- 2^53: the largest magnitude below which a double holds every integer. No count, instant or
-- expiry flowgate writes is beyond it; a value read beyond it was written by something else.
local MAX_EXACT = 9007199254740992

-- What a decision can change in a fixed window's, a sliding window's or a bucket's
-- state (the modules marked undoable), kept at kept[at + 1 .. at + 7] before a
-- tentative commit in a set: restoreState puts it back, which undoes the commit
-- (with written truncated). A sliding log writes its list as it admits and is
-- never undone this way: it reads what a request needs before writing (a
-- refund's writes wait for the end of the request: see refundSet).
local function keepState(kept, at, s)
  kept[at + 1], kept[at + 2], kept[at + 3], kept[at + 4], kept[at + 5], kept[at + 6], kept[at + 7] =
    s.index, s.count, s.previous, s.current, s.tat, s.dirty, s.ttl
end

local function restoreState(kept, at, s)
  s.index, s.count, s.previous, s.current, s.tat, s.dirty, s.ttl =
    kept[at + 1], kept[at + 2], kept[at + 3], kept[at + 4], kept[at + 5], kept[at + 6], kept[at + 7]
end

-- Marks state s of key as changed; ttlMs: its relative TTL (value encoding),
-- or nil to keep the key's TTL (a refund).
local function changed(key, s, ttlMs)
  if not s.dirty then
    s.dirty = true
    written[#written + 1] = key
  end
  if ttlMs then s.ttl = ttlMs + expiryMarginMs end
end
`;

/**
 * The start of every call, after the definitions (the prelude, the policies)
 * and before the body (main.lua.ts): reads the call's arguments and the
 * clock, and stops a call whose caller has given up.
 */
export const CALL_HEAD_LUA = `
explicitClock = ARGV[1] ~= ''
expiryMarginMs = explicitClock and tonumber(ARGV[3]) or 0
local deadline = ARGV[4]
-- A fraction or a negative margin would fail the call's writes midway, after some were made.
if not (expiryMarginMs and expiryMarginMs % 1 == 0 and expiryMarginMs >= 0 and expiryMarginMs < MAX_EXACT) then
  return redis.error_reply('flowgate: malformed call arguments: ARGV[3], the expiry margin, is not a whole number of ms')
end
serverNowMs = 0
if not explicitClock or deadline ~= '' then
  -- Redis < 5 needs effects replication before TIME in a writing script; a no-op since 7.0.
  if redis.replicate_commands then redis.replicate_commands() end
  local time = redis.call('TIME')
  -- By arithmetic, as in lone.lua.ts: tonumber and math.floor are C calls (about 3k instructions a call).
  local usInMs = time[2] / 1000
  serverNowMs = time[1] * 1000 + (usInMs - usInMs % 1)
end
if deadline ~= '' and serverNowMs > deadline + 0 then
  -- The caller has given up on this batch: commit nothing.
  return {serverNowMs, 0}
end
local encoding = ARGV[2]
repeats = nil
if #encoding > 1 then
  repeats = tonumber(string.sub(encoding, 2))
  encoding = string.sub(encoding, 1, 1)
end
-- Only where the server has cmsgpack (some Redis-compatible servers leave it out): the script packs
-- its reply after writing, and a call failing there would have committed requests it never answers.
-- rawget: reading a missing global raises an error in Redis >= 7.
packed = (encoding == 'E' or encoding == 'V') and rawget(_G, 'cmsgpack') ~= nil
inExpiry = (encoding == 'e' or encoding == 'E') and (redis.REDIS_VERSION_NUM or 0) >= 0x070000
states = {}
written = {}
`;
