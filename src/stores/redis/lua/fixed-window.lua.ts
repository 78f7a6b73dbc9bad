import { PRELUDE } from './prelude.lua.js';

/**
 * Twin of src/policies/fixed-window.ts. State: the string
 * `windowIndex:count`; a missing key is window -inf with count 0.
 */
export const FIXED_WINDOW_LUA = `${PRELUDE}
-- ARGV[4..5]: policy.params = limit, windowMs
local limit = tonumber(ARGV[4])
local windowMs = tonumber(ARGV[5])

local windowIndex = (nowMs - math.fmod(nowMs, windowMs)) / windowMs
local now = nowMs
local count = 0
local storedIndex = -math.huge
local stored = redis.call('GET', key)
if stored then
  local colon = string.find(stored, ':', 1, true)
  storedIndex = tonumber(string.sub(stored, 1, colon - 1))
  count = tonumber(string.sub(stored, colon + 1))
end
if storedIndex > windowIndex then
  -- A clock behind the stored state: decide as if at the stored window's start.
  windowIndex = storedIndex
  now = storedIndex * windowMs
elseif storedIndex < windowIndex then
  count = 0
end
local untilNextWindow = (windowIndex + 1) * windowMs - now
if count + cost <= limit then
  count = count + cost
  if commit then
    -- Relative to the caller's own now, so a late caller cannot shorten the state's life.
    local ttlMs = untilNextWindow + now - nowMs
    redis.call('SET', key, fmt(windowIndex) .. ':' .. fmt(count), 'PX', fmt(ttlMs))
  end
  return { 1, limit - count, untilNextWindow, 0, 0 }
end
return { 0, limit - count, untilNextWindow, untilNextWindow, 0 }
`;
