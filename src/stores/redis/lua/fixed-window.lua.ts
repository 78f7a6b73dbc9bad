import { PRELUDE } from './prelude.lua.js';

/**
 * Twin of src/policies/fixed-window.ts. State: the string
 * `windowIndex:count`; a missing key is window -inf with count 0.
 */
export const FIXED_WINDOW_LUA = `${PRELUDE}
-- ARGV[5..6]: policy.params = limit, windowMs
local limit = tonumber(ARGV[5])
local windowMs = tonumber(ARGV[6])

local windowIndex = (nowMs - math.fmod(nowMs, windowMs)) / windowMs
local count = 0
local storedIndex = -math.huge
local stored = redis.call('GET', key)
if stored then
  local colon = string.find(stored, ':', 1, true)
  storedIndex = tonumber(string.sub(stored, 1, colon - 1))
  count = tonumber(string.sub(stored, colon + 1))
end
if storedIndex > windowIndex then
  -- A clock behind the stored state: decide in the stored window.
  windowIndex = storedIndex
elseif storedIndex < windowIndex then
  count = 0
end
-- Waits are measured on the caller's clock, so they stay exact (and the
-- store's expiry stays late enough) when that clock is behind the state.
local untilNextWindow = (windowIndex + 1) * windowMs - nowMs
if count + cost <= limit then
  count = count + cost
  if commit then
    redis.call('SET', key, fmt(windowIndex) .. ':' .. fmt(count), 'PX', fmt(untilNextWindow + expiryMarginMs))
  end
  return { 1, limit - count, untilNextWindow, 0, 0 }
end
return { 0, limit - count, untilNextWindow, untilNextWindow, 0 }
`;
