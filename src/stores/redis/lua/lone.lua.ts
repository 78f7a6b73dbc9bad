/**
 * The lone decision (a Redis Function of the library only, after the
 * definitions): one request, one limit, a cost, on the server's TIME. What a
 * sequential caller and an idle store send; a batch, a set, a peek, a refund,
 * a reset or an explicit clock go through the general call (main.lua.ts).
 *
 * It decides exactly as the general call does for a batch of that one request
 * (the same policy functions, the same reply, compact or full), and skips what
 * only a batch needs: the loop over requests, per-request ops, the states memo,
 * the set's all-or-nothing and the header's arguments. Every argument costs
 * Redis about 1.2k instructions of a call, so it takes as few as it can:
 *
 * ARGV[1] the state encoding ('e' expiry, 'v' value) followed by the limit as
 *   ARGV[5] of the general call describes it (`code,p1,p2,p3,s;`), parsed once
 *   and kept like the general call's (bounded the same way).
 * ARGV[2] the deadline (server ms after which nothing may be committed), ''
 *   or absent for none.
 * ARGV[3] the cost; absent for 1.
 *
 * Reply: for a plain admission (what status 2 of the general call's reply
 * means: admitted at nowMs for its cost, with no wait and no delay) only the
 * server time, remaining and resetMs: three numbers, which no other reply
 * has. Else as the general call's for one request (see prelude.lua.ts).
 */
export const LONE_LUA = `
local loneCache = {}
local loneCacheSize = 0
-- The one key a lone call can change (changed() in the prelude appends to it).
local loneWritten = {}

local function loneLimit(described)
  local limit = loneCache[described]
  if limit then return limit end
  local limits = parseLimits(string.sub(described, 2))
  -- A raw caller's description of no valid limit fails before anything is read or written.
  if limits.malformed then return nil end
  limit = limits[1]
  -- Functions need Redis >= 7, where the expiry encoding is always available.
  limit.inExpiry = string.byte(described, 1) == 101
  if #described <= LIMIT_CACHE_KEY_MAX then
    if loneCacheSize >= LIMIT_CACHE_MAX then
      loneCache = {}
      loneCacheSize = 0
    end
    loneCache[described] = limit
    loneCacheSize = loneCacheSize + 1
  end
  return limit
end

local function decideLone(KEYS, ARGV)
  local limit = loneLimit(ARGV[1])
  if not limit then return redis.error_reply('flowgate: malformed call arguments: ARGV[1] describes no valid limit') end
  local time = redis.call('TIME')
  -- Arithmetic reads the digits itself: tonumber reads a string twice (lua_isnumber, then lua_tonumber) and,
  -- like math.floor, is a C call from Lua. A whole count of microseconds below 10^6 divided by 1000 rounds
  -- to no whole number, and x - x % 1 is then its floor exactly.
  local usInMs = time[2] / 1000
  local nowMs = time[1] * 1000 + (usInMs - usInMs % 1)
  local deadline = ARGV[2]
  -- The caller has given up: commit nothing.
  if deadline and deadline ~= '' and nowMs > deadline + 0 then return {nowMs, 0} end
  explicitClock, expiryMarginMs, serverNowMs, inExpiry, written = false, 0, nowMs, limit.inExpiry, loneWritten
  local impl, p, key = limit.impl, limit.p, KEYS[1]
  local s, err = impl.load(key, p)
  if not s then return {nowMs, 1, 0, err} end
  local cost = 1
  if ARGV[3] then
    cost = tonumber(ARGV[3])
    if not (cost and cost % 1 == 0 and cost >= 0 and cost < MAX_EXACT) then
      return {nowMs, 1, 0, 'flowgate: malformed request arguments: the cost is not a whole number'}
    end
  end
  local allowed, remaining, resetMs, retryAfterMs, delayMs, atMs, spent = impl.decide(key, s, p, nowMs, cost, true)
  -- A log's entry read while deciding was not flowgate's: failed before committing anything.
  if allowed == NOT_OURS then return {nowMs, 1, 0, NOT_OURS} end
  if s.dirty then
    impl.save(key, s, p)
    loneWritten[1] = nil
  end
  if allowed == 1 and retryAfterMs == 0 and delayMs == 0 and atMs == nowMs and spent == cost then
    -- Each number of a reply costs Redis about 1.3k instructions: a plain admission says only these three.
    return {nowMs, remaining, resetMs}
  end
  return {nowMs, 1, 1, allowed, remaining, resetMs, retryAfterMs, delayMs, atMs, spent}
end
`;
