/**
 * Twin of src/policies/bucket.ts (token and leaky bucket, as GCRA). State:
 * `tat` in ticks since TICK_EPOCH_MS; a missing key is -inf.
 *
 * Expiry encoding: the key expires exactly when the bucket is full again, at
 * `TICK_EPOCH_MS + ceil(tat / ticksPerMs)`, and its value is only the
 * remainder `ceil(tat / ticksPerMs) * ticksPerMs - tat` (0 <= v < ticksPerMs
 * <= 4096): a shared integer in Redis; PEXPIRETIME gives `tat` back exactly.
 * Value encoding: `:tat` under a relative TTL. The two are told apart by the ':'.
 */
export const BUCKET_LUA = `
local bucket = {}
-- Its state's fields are all in keepState (prelude): a set may undo a tentative commit.
bucket.undoable = true
-- TICK_EPOCH_MS of src/policies/rate.ts
local TICK_EPOCH_MS = 1767225600000

-- -math.huge: a library reads no global (math) while it loads.
local EMPTY_TAT = -1 / 0

function bucket.load(key, p)
  local stored = redis.pcall('GET', key)
  -- The fields set later (stateOf, decide) are named here too, so the table is sized once instead of
  -- growing (a rehash, about 1.5k instructions) as they are added: once per key read.
  if not stored then return {tat = EMPTY_TAT, impl = false, p = false, dirty = false, ttl = false} end
  -- A string has no err, an error table does (see failed in the prelude).
  if stored.err then return nil, stored.err end
  -- The expiry encoding's value, the remainder alone, is a number; the value encoding's ':tat' is
  -- none. Tried first, as fixedWindow.load does, it spares the common case a string.byte (a C call).
  local v = tonumber(stored)
  if v then
    local expireAtMs = redis.pcall('PEXPIRETIME', key)
    -- What save writes is 0 <= v < ticksPerMs; NaN or a fraction would be decided on.
    -- An expiry past 2^53 ms (year 287,000) is none flowgate sets. (type: an error table, as
    -- failed() tests, without a Lua call.)
    if type(expireAtMs) ~= 'number' or expireAtMs < 0 or expireAtMs > MAX_EXACT or not (v % 1 == 0 and v >= 0 and v < p[2]) then return nil, NOT_OURS end
    -- The key's expiry and value as read: save writes only what changed.
    return {
      tat = (expireAtMs - TICK_EPOCH_MS) * p[2] - v, expireAt = expireAtMs, value = v,
      impl = false, p = false, dirty = false, ttl = false,
    }
  end
  -- Neither encoding's: the key is not flowgate's.
  if string.byte(stored, 1) ~= 58 then return nil, NOT_OURS end
  local tat = tonumber(string.sub(stored, 2))
  -- NaN, an infinity or a fraction would be decided on (a reply of NaNs).
  if not (tat and tat % 1 == 0 and tat >= -MAX_EXACT and tat <= MAX_EXACT) then return nil, NOT_OURS end
  return {tat = tat, impl = false, p = false, dirty = false, ttl = false}
end

function bucket.decide(key, s, p, nowMs, cost, commit)
  local capacity, ticksPerMs, intervalTicks = p[1], p[2], p[3]
  local shapes = p.algorithm == 'lb'
  local capacityTicks = capacity * intervalTicks
  local now = (nowMs - TICK_EPOCH_MS) * ticksPerMs
  local tat = s.tat
  -- Work queued ahead of this request. A clock behind the state only makes it larger. (math.max,
  -- without its C call.)
  local start = tat > now and tat or now
  local backlog = start - now
  local need = cost * intervalTicks
  local room = capacityTicks - backlog
  if cost > 0 and need <= room then
    -- ceilDiv and truncDiv (prelude), inlined: a Lua call costs Redis about 500 instructions of every decision.
    local r = math.fmod(backlog + need, ticksPerMs)
    local resetMs = (backlog + need - r) / ticksPerMs + (r > 0 and 1 or 0)
    if commit then
      s.tat = start + need
      -- changed(key, s, resetMs) (prelude), inlined likewise; the TTL only where save reads it (the
      -- value encoding): a table write costs Redis about 150 instructions.
      if not s.dirty then
        s.dirty = true
        written[#written + 1] = key
      end
      if not inExpiry then s.ttl = resetMs + expiryMarginMs end
    end
    local left = room - need
    return 1, (left - math.fmod(left, intervalTicks)) / intervalTicks, resetMs, 0, shapes and ceilDiv(backlog, ticksPerMs) or 0, nowMs, commit and cost or 0
  end
  -- A clock far behind the state can leave room below zero; remaining never is.
  local remaining = math.max(0, truncDiv(room, intervalTicks))
  local resetMs = ceilDiv(backlog, ticksPerMs)
  -- Cost 0: the state as it is.
  if cost == 0 then return 1, remaining, resetMs, 0, 0, nowMs, 0 end
  return 0, remaining, resetMs, ceilDiv(need - room, ticksPerMs), 0, nowMs, 0
end

-- The tick at which an admission's work ended (see workEnd in src/policies/bucket.ts).
local function bucketWorkEnd(tat, ticksPerMs, intervalTicks, atMs, resetMs)
  local last = (atMs + resetMs - TICK_EPOCH_MS) * ticksPerMs
  local first = last - ticksPerMs + 1
  if intervalTicks >= ticksPerMs and tat >= first and tat <= last then return tat end
  return first
end

function bucket.refund(key, s, p, nowMs, cost, atMs, resetMs)
  local ticksPerMs, intervalTicks = p[2], p[3]
  -- Without an instant (nil), the admission is the key's latest: the end of the queue.
  local ending = atMs and bucketWorkEnd(s.tat, ticksPerMs, intervalTicks, atMs, resetMs) or s.tat
  local now = (nowMs - TICK_EPOCH_MS) * ticksPerMs
  -- What is still queued of it, capped by the queue itself: never below empty.
  local undrained = math.min(cost * intervalTicks, ending - now, s.tat - now)
  if undrained > 0 then
    s.tat = s.tat - undrained
    changed(key, s, nil)
  end
end

-- The digits of the last expiry, value and TTL saved, kept for the next key: Redis 7.0 prints a Lua
-- number argument with '%.17g' (about 2.8k instructions each), and on the server's TIME a batch's
-- keys of one policy that were refilled (spread keys) all get the same ones. Keyed by the number
-- itself, so a key whose number differs gets its own digits.
local lastAt, lastAtText, lastValue, lastValueText, lastTtl, lastTtlText

function bucket.save(key, s, p)
  local ticksPerMs = p[2]
  local tat = s.tat
  if inExpiry then
    -- ceilDiv (prelude), inlined.
    local r = math.fmod(tat, ticksPerMs)
    local expireAt = (tat - r) / ticksPerMs + (r > 0 and 1 or 0)
    -- + 0 turns a -0 into 0, which Redis 7.0 would otherwise store as the string "-0".
    local value = expireAt * ticksPerMs - tat + 0
    local at = TICK_EPOCH_MS + expireAt
    -- Only what changed (a SET with PXAT costs Redis about 10k instructions more than either).
    if value == s.value then
      if at ~= lastAt then lastAt, lastAtText = at, fmt(at) end
      redis.call('PEXPIREAT', key, lastAtText)
    elseif at == s.expireAt then
      if value ~= lastValue then lastValue, lastValueText = value, fmt(value) end
      redis.call('SET', key, lastValueText, 'KEEPTTL')
    else
      if at ~= lastAt then lastAt, lastAtText = at, fmt(at) end
      if value ~= lastValue then lastValue, lastValueText = value, fmt(value) end
      redis.call('SET', key, lastValueText, 'PXAT', lastAtText)
    end
  elseif s.ttl then
    local ttl = s.ttl
    if ttl ~= lastTtl then lastTtl, lastTtlText = ttl, fmt(ttl) end
    redis.call('SET', key, ':' .. fmt(tat), 'PX', lastTtlText)
  else
    redis.call('SET', key, ':' .. fmt(tat), 'KEEPTTL')
  end
end
`;
