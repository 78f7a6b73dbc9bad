import { PRELUDE } from './prelude.lua.js';

/**
 * Twin of src/policies/sliding-log.ts. State: a list of admitted timestamps
 * (ms), one per unit, oldest first; a missing key is the empty log.
 */
export const SLIDING_LOG_LUA = `${PRELUDE}
-- ARGV[5..6]: policy.params = limit, windowMs
local limit = tonumber(ARGV[5])
local windowMs = tonumber(ARGV[6])
-- Entries per RPUSH: keeps unpack() within Lua's C stack limit.
local PUSH_CHUNK = 1000

local log = redis.call('LRANGE', key, 0, -1)
local size = #log
local newest = size > 0 and tonumber(log[size]) or -math.huge
-- A clock behind the newest entry: decide as if at that entry's time.
local now = math.max(nowMs, newest)
local expired = 0
while expired < size and tonumber(log[expired + 1]) + windowMs <= now do expired = expired + 1 end
local count = size - expired
if count + cost <= limit then
  -- Waits are measured on the caller's clock (nowMs), behind now when the clock went backwards.
  local resetMs = now + windowMs - nowMs
  if commit then
    if expired > 0 then redis.call('LTRIM', key, expired, -1) end
    local entry = fmt(now)
    local left = cost
    while left > 0 do
      local chunk = {}
      for i = 1, math.min(left, PUSH_CHUNK) do chunk[i] = entry end
      redis.call('RPUSH', key, unpack(chunk))
      left = left - #chunk
    end
    redis.call('PEXPIRE', key, fmt(resetMs + expiryMarginMs))
  end
  return { 1, limit - count - cost, resetMs, 0, 0 }
end
-- Admitted once the oldest count + cost - limit live entries have left the window.
local unblocking = tonumber(log[expired + count + cost - limit])
return { 0, limit - count, newest + windowMs - nowMs, unblocking + windowMs - nowMs, 0 }
`;
