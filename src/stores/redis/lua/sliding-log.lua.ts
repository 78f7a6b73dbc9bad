import { PRELUDE } from './prelude.lua.js';

/**
 * Twin of src/policies/sliding-log.ts. State: a list of admitted timestamps
 * (ms), one per unit, oldest first; a missing key is the empty log.
 */
export const SLIDING_LOG_LUA = `${PRELUDE}
-- ARGV[2..3]: policy.params = limit, windowMs
local limit = tonumber(ARGV[2])
local windowMs = tonumber(ARGV[3])
local FIRST = 4
-- Entries per RPUSH: keeps unpack() within Lua's C stack limit.
local PUSH_CHUNK = 1000

local reply = {}
for i = 1, #KEYS do
  local key = KEYS[i]
  local cost, commit, nowMs = request(i, FIRST)
  local log = redis.call('LRANGE', key, 0, -1)
  local size = #log
  local newest = size > 0 and tonumber(log[size]) or -math.huge
  -- A clock behind the newest entry: decide as if at that entry's time.
  local now = math.max(nowMs, newest)
  local expired = 0
  while expired < size and tonumber(log[expired + 1]) + windowMs <= now do expired = expired + 1 end
  local count = size - expired
  local o = (i - 1) * 5
  if count + cost <= limit then
    -- Waits are measured on the caller's clock (nowMs), behind now when the clock went backwards.
    local resetMs = now + windowMs - nowMs
    if commit then
      if expired > 0 then redis.call('LTRIM', key, expired, -1) end
      local entry = fmt(now)
      local left = cost
      while left > 0 do
        local chunk = {}
        for j = 1, math.min(left, PUSH_CHUNK) do chunk[j] = entry end
        redis.call('RPUSH', key, unpack(chunk))
        left = left - #chunk
      end
      redis.call('PEXPIRE', key, fmt(resetMs + expiryMarginMs))
    end
    reply[o + 1] = 1
    reply[o + 2] = limit - count - cost
    reply[o + 3] = resetMs
    reply[o + 4] = 0
  else
    -- Admitted once the oldest count + cost - limit live entries have left the window.
    local unblocking = tonumber(log[expired + count + cost - limit])
    reply[o + 1] = 0
    reply[o + 2] = limit - count
    reply[o + 3] = newest + windowMs - nowMs
    reply[o + 4] = unblocking + windowMs - nowMs
  end
  reply[o + 5] = 0
end
return reply
`;
