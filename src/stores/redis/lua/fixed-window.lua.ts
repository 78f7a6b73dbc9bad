import { PRELUDE } from './prelude.lua.js';

/**
 * Twin of src/policies/fixed-window.ts. State: the window index and its
 * count; a missing key is window -inf with count 0.
 *
 * On the server's TIME with Redis >= 7 the key expires exactly at the end of
 * its window, `(windowIndex + 1) * windowMs`, so the value is only the count
 * (a shared integer in Redis up to 9999) and PEXPIRETIME gives the window back.
 * Otherwise the value is the string `windowIndex:count`, which is also read
 * under an expiry (written before this encoding, or by a Redis < 7 script).
 */
export const FIXED_WINDOW_LUA = `${PRELUDE}
-- ARGV[2..3]: policy.params = limit, windowMs
local limit = tonumber(ARGV[2])
local windowMs = tonumber(ARGV[3])
local FIRST = 4

-- Each key is read once and written once per script, however many requests it has.
local indexes = {}
local counts = {}
local expiries = {}
local written = {}

local function load(key)
  local expireAtMs = -1
  if inExpiry then
    expireAtMs = redis.call('PEXPIRETIME', key)
    if expireAtMs == -2 then return -math.huge, 0 end
  end
  local stored = redis.call('GET', key)
  if not stored then return -math.huge, 0 end
  local colon = string.find(stored, ':', 1, true)
  if colon then return tonumber(string.sub(stored, 1, colon - 1)), tonumber(string.sub(stored, colon + 1)) end
  -- A bare count: its window ends at the expiry (none: a key this script did not write).
  if expireAtMs < 0 then return -math.huge, 0 end
  return floorDiv(expireAtMs, windowMs) - 1, tonumber(stored)
end

local reply = {}
for i = 1, #KEYS do
  local key = KEYS[i]
  local cost, commit, nowMs = request(i, FIRST)
  local storedIndex = indexes[key]
  local count = counts[key]
  if storedIndex == nil then
    storedIndex, count = load(key)
    indexes[key] = storedIndex
    counts[key] = count
  end
  local windowIndex = (nowMs - math.fmod(nowMs, windowMs)) / windowMs
  if storedIndex > windowIndex then
    -- A clock behind the stored state: decide in the stored window.
    windowIndex = storedIndex
  elseif storedIndex < windowIndex then
    count = 0
  end
  -- Waits are measured on the caller's clock, so they stay exact (and the
  -- store's expiry stays late enough) when that clock is behind the state.
  local untilNextWindow = (windowIndex + 1) * windowMs - nowMs
  local o = (i - 1) * 5
  if count + cost <= limit then
    count = count + cost
    if commit then
      indexes[key] = windowIndex
      counts[key] = count
      if expiries[key] == nil then written[#written + 1] = key end
      expiries[key] = untilNextWindow + expiryMarginMs
    end
    reply[o + 1] = 1
    reply[o + 2] = limit - count
    reply[o + 3] = untilNextWindow
    reply[o + 4] = 0
  else
    reply[o + 1] = 0
    reply[o + 2] = limit - count
    reply[o + 3] = untilNextWindow
    reply[o + 4] = untilNextWindow
  end
  reply[o + 5] = 0
end
for _, key in ipairs(written) do
  if inExpiry then
    redis.call('SET', key, counts[key], 'PXAT', fmt((indexes[key] + 1) * windowMs))
  else
    redis.call('SET', key, fmt(indexes[key]) .. ':' .. fmt(counts[key]), 'PX', fmt(expiries[key]))
  end
end
return reply
`;
