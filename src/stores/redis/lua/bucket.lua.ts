import { PRELUDE } from './prelude.lua.js';

/**
 * Twin of src/policies/bucket.ts (token and leaky bucket, as GCRA). State: one
 * integer string, `tat` in ticks since TICK_EPOCH_MS; a missing key is -inf.
 */
export const BUCKET_LUA = `${PRELUDE}
-- ARGV[5..7]: policy.params = capacity, ticksPerMs, intervalTicks
local capacity = tonumber(ARGV[5])
local ticksPerMs = tonumber(ARGV[6])
local intervalTicks = tonumber(ARGV[7])
-- ARGV[8]: '1' for the leaky bucket, which shapes (returns delayMs)
local shapes = ARGV[8] == '1'
-- TICK_EPOCH_MS of src/policies/rate.ts
local TICK_EPOCH_MS = 1767225600000
local capacityTicks = capacity * intervalTicks

local now = (nowMs - TICK_EPOCH_MS) * ticksPerMs
local stored = redis.call('GET', key)
local tat = stored and tonumber(stored) or -math.huge
-- Work queued ahead of this request. A clock behind the state only makes it larger.
local start = math.max(tat, now)
local backlog = start - now
local need = cost * intervalTicks
local room = capacityTicks - backlog
if need <= room then
  local resetMs = ceilDiv(backlog + need, ticksPerMs)
  if commit then redis.call('SET', key, fmt(start + need), 'PX', fmt(resetMs + expiryMarginMs)) end
  local remaining = (room - need - math.fmod(room - need, intervalTicks)) / intervalTicks
  local delayMs = shapes and ceilDiv(backlog, ticksPerMs) or 0
  return { 1, remaining, resetMs, 0, delayMs }
end
local remaining = math.max(0, (room - math.fmod(room, intervalTicks)) / intervalTicks)
return { 0, remaining, ceilDiv(backlog, ticksPerMs), ceilDiv(need - room, ticksPerMs), 0 }
`;
