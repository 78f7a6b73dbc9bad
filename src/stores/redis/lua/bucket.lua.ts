import { PRELUDE } from './prelude.lua.js';

/**
 * Twin of src/policies/bucket.ts (token and leaky bucket, as GCRA). State:
 * `tat` in ticks since TICK_EPOCH_MS; a missing key is -inf.
 *
 * On the server's TIME with Redis >= 7 the key expires exactly when the
 * bucket is full again, at `expireAtMs = TICK_EPOCH_MS + ceil(tat / ticksPerMs)`,
 * and its value is only the remainder `v = ceil(tat / ticksPerMs) * ticksPerMs - tat`
 * (0 <= v < ticksPerMs <= 4096): a shared integer in Redis, no allocation.
 * PEXPIRETIME gives `tat` back exactly. Otherwise the value is `tat` itself.
 * A value of ticksPerMs or more under an expiry is a `tat` written that way (before
 * this encoding, or by a Redis < 7 script): it is read as such.
 */
export const BUCKET_LUA = `${PRELUDE}
-- ARGV[2..4]: policy.params = capacity, ticksPerMs, intervalTicks
local capacity = tonumber(ARGV[2])
local ticksPerMs = tonumber(ARGV[3])
local intervalTicks = tonumber(ARGV[4])
-- ARGV[5]: '1' for the leaky bucket, which shapes (returns delayMs)
local shapes = ARGV[5] == '1'
local FIRST = 6
-- TICK_EPOCH_MS of src/policies/rate.ts
local TICK_EPOCH_MS = 1767225600000
local capacityTicks = capacity * intervalTicks

-- Each key is read once and written once per script, however many requests it has.
local tats = {}
local expiries = {}
local written = {}

local function load(key)
  if not inExpiry then
    local stored = redis.call('GET', key)
    return stored and tonumber(stored) or -math.huge
  end
  local expireAtMs = redis.call('PEXPIRETIME', key)
  -- -2: no key, a full bucket.
  if expireAtMs == -2 then return -math.huge end
  -- With one tick per ms, v is always 0: the expiry alone is the state.
  local v = 0
  if ticksPerMs > 1 or expireAtMs < 0 then v = tonumber(redis.call('GET', key)) end
  if expireAtMs < 0 or v < 0 or v >= ticksPerMs then return v end
  return (expireAtMs - TICK_EPOCH_MS) * ticksPerMs - v
end

local reply = {}
for i = 1, #KEYS do
  local key = KEYS[i]
  local cost, commit, nowMs = request(i, FIRST)
  local tat = tats[key]
  if tat == nil then
    tat = load(key)
    tats[key] = tat
  end
  local now = (nowMs - TICK_EPOCH_MS) * ticksPerMs
  -- Work queued ahead of this request. A clock behind the state only makes it larger.
  local start = math.max(tat, now)
  local backlog = start - now
  local need = cost * intervalTicks
  local room = capacityTicks - backlog
  local o = (i - 1) * 5
  if need <= room then
    local resetMs = ceilDiv(backlog + need, ticksPerMs)
    if commit then
      tats[key] = start + need
      if expiries[key] == nil then written[#written + 1] = key end
      expiries[key] = resetMs + expiryMarginMs
    end
    reply[o + 1] = 1
    reply[o + 2] = (room - need - math.fmod(room - need, intervalTicks)) / intervalTicks
    reply[o + 3] = resetMs
    reply[o + 4] = 0
    reply[o + 5] = shapes and ceilDiv(backlog, ticksPerMs) or 0
  else
    reply[o + 1] = 0
    reply[o + 2] = math.max(0, (room - math.fmod(room, intervalTicks)) / intervalTicks)
    reply[o + 3] = ceilDiv(backlog, ticksPerMs)
    reply[o + 4] = ceilDiv(need - room, ticksPerMs)
    reply[o + 5] = 0
  end
end
for _, key in ipairs(written) do
  local tat = tats[key]
  if inExpiry then
    local expireAt = ceilDiv(tat, ticksPerMs)
    -- + 0 turns a -0 into 0, which Redis would otherwise store as the string "-0".
    local v = expireAt * ticksPerMs - tat + 0
    redis.call('SET', key, v, 'PXAT', fmt(TICK_EPOCH_MS + expireAt))
  else
    -- The TTL of the key's last admitted request, measured on its clock.
    redis.call('SET', key, fmt(tat), 'PX', fmt(expiries[key]))
  end
end
return reply
`;
