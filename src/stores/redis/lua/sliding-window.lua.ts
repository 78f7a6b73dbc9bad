import { PRELUDE } from './prelude.lua.js';

/**
 * Twin of src/policies/sliding-window.ts. State: the string
 * `windowIndex:previous:current`; a missing key is window -inf, both counts 0.
 */
export const SLIDING_WINDOW_LUA = `${PRELUDE}
-- ARGV[5..6]: policy.params = limit, windowMs
local limit = tonumber(ARGV[5])
local windowMs = tonumber(ARGV[6])
local scaledLimit = limit * windowMs

-- Least whole wait after which cost fits, if nothing else arrives.
local function retryAfter(previous, current, cost, elapsed)
  local untilNextWindow = windowMs - elapsed
  local slack = (limit - current - cost) * windowMs
  if slack >= 0 and previous > 0 then
    -- Still in this window once previous * (windowMs - elapsed - wait) <= slack.
    return untilNextWindow - floorDiv(slack, previous)
  end
  -- In the next window current becomes the previous window's count.
  local nextSlack = (limit - cost) * windowMs
  local intoNextWindow = current > 0 and math.max(0, windowMs - floorDiv(nextSlack, current)) or 0
  return untilNextWindow + intoNextWindow
end

local windowIndex = (nowMs - math.fmod(nowMs, windowMs)) / windowMs
local elapsed = nowMs - windowIndex * windowMs
local storedIndex = -math.huge
local previous = 0
local current = 0
local stored = redis.call('GET', key)
if stored then
  local a, b, c = string.match(stored, '^(-?%d+):(%d+):(%d+)$')
  storedIndex = tonumber(a)
  previous = tonumber(b)
  current = tonumber(c)
end
if storedIndex > windowIndex then
  -- A clock behind the stored state: decide as if at the stored window's start.
  windowIndex = storedIndex
  elapsed = 0
elseif storedIndex == windowIndex - 1 then
  previous = current
  current = 0
elseif storedIndex < windowIndex then
  previous = 0
  current = 0
end
local untilNextWindow = windowMs - elapsed
-- Waits are measured on the caller's clock: lag ms behind the stored window's start when it went backwards.
local lag = windowIndex * windowMs + elapsed - nowMs
-- weighted * windowMs, exact in integers.
local previousWeight = previous * untilNextWindow
local scaledUsed = previousWeight + current * windowMs
if scaledUsed + cost * windowMs <= scaledLimit then
  current = current + cost
  local resetMs = lag + untilNextWindow + windowMs
  if commit then
    local state = fmt(windowIndex) .. ':' .. fmt(previous) .. ':' .. fmt(current)
    redis.call('SET', key, state, 'PX', fmt(resetMs + expiryMarginMs))
  end
  local remaining = limit - current - ceilDiv(previousWeight, windowMs)
  return { 1, remaining, resetMs, 0, 0 }
end
local remaining = math.max(0, limit - current - ceilDiv(previousWeight, windowMs))
local resetMs = 0
if current > 0 then
  resetMs = lag + untilNextWindow + windowMs
elseif previous > 0 then
  resetMs = lag + untilNextWindow
end
return { 0, remaining, resetMs, lag + retryAfter(previous, current, cost, elapsed), 0 }
`;
