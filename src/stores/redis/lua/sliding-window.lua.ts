import { PRELUDE } from './prelude.lua.js';

/**
 * Twin of src/policies/sliding-window.ts. State: the window index and the
 * previous and current windows' counts; a missing key is window -inf, both 0.
 *
 * On the server's TIME with Redis >= 7 the key expires exactly at the end of
 * the window after its own, `(windowIndex + 2) * windowMs`, so PEXPIRETIME
 * gives the window back and the value holds only the counts: the integer
 * `previous * (limit + 1) + current` (no string, and a shared integer below
 * 10000) when that stays within 2^53, else the string `previous:current`.
 * Otherwise the value is the string `windowIndex:previous:current`, which is
 * also read under an expiry (written before this encoding, or by a Redis < 7 script).
 */
export const SLIDING_WINDOW_LUA = `${PRELUDE}
-- ARGV[2..3]: policy.params = limit, windowMs
local limit = tonumber(ARGV[2])
local windowMs = tonumber(ARGV[3])
local FIRST = 4
local scaledLimit = limit * windowMs
-- Both counts are at most limit: one integer holds both exactly while (limit + 1)^2 <= 2^53.
local base = limit + 1
local packed = base * base <= 9007199254740992

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

local function load(key)
  local expireAtMs = -1
  if inExpiry then
    expireAtMs = redis.call('PEXPIRETIME', key)
    if expireAtMs == -2 then return -math.huge, 0, 0 end
  end
  local stored = redis.call('GET', key)
  if not stored then return -math.huge, 0, 0 end
  local a, b, c = string.match(stored, '^(-?%d+):(%d+):(%d+)$')
  if a then return tonumber(a), tonumber(b), tonumber(c) end
  -- Counts only: their window is two before the expiry (none: a key this script did not write).
  if expireAtMs < 0 then return -math.huge, 0, 0 end
  local storedIndex = floorDiv(expireAtMs, windowMs) - 2
  local p, q = string.match(stored, '^(%d+):(%d+)$')
  if p then return storedIndex, tonumber(p), tonumber(q) end
  local both = tonumber(stored)
  local current = math.fmod(both, base)
  return storedIndex, (both - current) / base, current
end

-- Each key is read once and written once per script, however many requests it has.
local indexes = {}
local previousCounts = {}
local currentCounts = {}
local expiries = {}
local written = {}

local reply = {}
for i = 1, #KEYS do
  local key = KEYS[i]
  local cost, commit, nowMs = request(i, FIRST)
  local storedIndex = indexes[key]
  local previous = previousCounts[key]
  local current = currentCounts[key]
  if storedIndex == nil then
    storedIndex, previous, current = load(key)
    indexes[key] = storedIndex
    previousCounts[key] = previous
    currentCounts[key] = current
  end
  local windowIndex = (nowMs - math.fmod(nowMs, windowMs)) / windowMs
  local elapsed = nowMs - windowIndex * windowMs
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
  local o = (i - 1) * 5
  if scaledUsed + cost * windowMs <= scaledLimit then
    current = current + cost
    local resetMs = lag + untilNextWindow + windowMs
    if commit then
      indexes[key] = windowIndex
      previousCounts[key] = previous
      currentCounts[key] = current
      if expiries[key] == nil then written[#written + 1] = key end
      expiries[key] = resetMs + expiryMarginMs
    end
    reply[o + 1] = 1
    reply[o + 2] = limit - current - ceilDiv(previousWeight, windowMs)
    reply[o + 3] = resetMs
    reply[o + 4] = 0
  else
    local resetMs = 0
    if current > 0 then
      resetMs = lag + untilNextWindow + windowMs
    elseif previous > 0 then
      resetMs = lag + untilNextWindow
    end
    reply[o + 1] = 0
    reply[o + 2] = math.max(0, limit - current - ceilDiv(previousWeight, windowMs))
    reply[o + 3] = resetMs
    reply[o + 4] = lag + retryAfter(previous, current, cost, elapsed)
  end
  reply[o + 5] = 0
end
for _, key in ipairs(written) do
  local previous = previousCounts[key]
  local current = currentCounts[key]
  if not inExpiry then
    local state = fmt(indexes[key]) .. ':' .. fmt(previous) .. ':' .. fmt(current)
    redis.call('SET', key, state, 'PX', fmt(expiries[key]))
  else
    local expireAt = fmt((indexes[key] + 2) * windowMs)
    if packed then
      redis.call('SET', key, fmt(previous * base + current), 'PXAT', expireAt)
    else
      redis.call('SET', key, fmt(previous) .. ':' .. fmt(current), 'PXAT', expireAt)
    end
  end
end
return reply
`;
