/**
 * The head every script shares: names for KEYS/ARGV, `nowMs`, and the exact
 * integer helpers of src/policies/decision.ts. Lua numbers are doubles, like
 * JS numbers; `math.fmod` is C's fmod, the same truncated remainder as JS `%`
 * (exact, where `a % b` in Lua 5.1 divides and can round). Numbers are written
 * back with '%.0f', exact up to 2^53, never with tostring (which uses %.14g).
 */
export const PRELUDE = `-- KEYS[1]: the key's state
local key = KEYS[1]
-- ARGV[1]: cost, a whole number in [1, limit]
local cost = tonumber(ARGV[1])
-- ARGV[2]: '1' records an admitted request (limit), '0' writes nothing (peek)
local commit = ARGV[2] == '1'
-- ARGV[3]: now in ms from the limiter's explicit clock, or '' for the server's TIME
local nowMs
if ARGV[3] == '' then
  -- Redis < 5 needs effects replication before TIME in a writing script; a no-op since 7.0.
  if redis.replicate_commands then redis.replicate_commands() end
  local time = redis.call('TIME')
  nowMs = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
else
  nowMs = tonumber(ARGV[3])
end
-- ARGV[4]: ms a key outlives its state: 0 with TIME; with a clock, room for callers whose clocks lag
local expiryMarginMs = tonumber(ARGV[4])

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
`;
