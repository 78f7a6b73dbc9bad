/**
 * The head every script shares. A script decides one or more requests, in
 * order: KEYS[i] is the key of request i. ARGV[1] is the clock mode,
 * ARGV[2..first-1] the policy's parameters, and from ARGV[first] each request
 * has its arguments: `cost` (negative for a peek: cost 1, nothing written)
 * and, with an explicit clock only, `nowMs`. On the server's TIME, a batch of
 * cost-1 limits only may leave them all out. The reply is 5 numbers per
 * request: allowed (1|0), remaining, resetMs, retryAfterMs, delayMs.
 *
 * Lua numbers are doubles, like JS numbers; `math.fmod` is C's fmod, the same
 * truncated remainder as JS `%` (exact, where `a % b` in Lua 5.1 divides and
 * can round). Large numbers are written back with '%.0f', exact up to 2^53,
 * never with tostring (which uses %.14g).
 */
export const PRELUDE = `-- ARGV[1]: '' to decide on the server's TIME; with the limiter's explicit
-- clock, how many ms a key outlives its state (room for callers whose clocks lag)
local serverTime = ARGV[1] == ''
local expiryMarginMs = serverTime and 0 or tonumber(ARGV[1])
local serverNowMs = 0
if serverTime then
  -- Redis < 5 needs effects replication before TIME in a writing script; a no-op since 7.0.
  if redis.replicate_commands then redis.replicate_commands() end
  local time = redis.call('TIME')
  serverNowMs = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
-- On the server's TIME and Redis >= 7 (PEXPIRETIME), part of the state lives in
-- the key's absolute expiry, so the value stays a small shared integer: keys
-- cost less memory. Explicit clocks (expiry on another clock) and older Redis
-- keep the whole state in the value.
local inExpiry = serverTime and (redis.REDIS_VERSION_NUM or 0) >= 0x070000
-- Arguments per request after the policy's: cost, and nowMs with an explicit clock.
local stride = serverTime and 1 or 2

local function fmt(x)
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

-- Request i: cost, commit (false for a peek), nowMs. first: ARGV index of request 1's cost.
local function request(i, first)
  local at = first + (i - 1) * stride
  -- On the server's TIME a batch of cost-1 limits (the common case) comes without per-request arguments.
  if ARGV[at] == nil then return 1, true, serverNowMs end
  local cost = tonumber(ARGV[at])
  local nowMs = serverTime and serverNowMs or tonumber(ARGV[at + 1])
  if cost < 0 then return 1, false, nowMs end
  return cost, true, nowMs
end
`;
