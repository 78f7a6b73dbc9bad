/**
 * Twin of src/policies/sliding-window.ts. State: the window index and the
 * previous and current windows' counts; a missing key is window -inf, both 0.
 *
 * Expiry encoding: the key expires exactly at the end of the window after
 * its own, `(index + 2) * windowMs`, so PEXPIRETIME gives the window back and
 * the value holds only the counts: the integer `previous * 2^26 + current`
 * while both fit (no string, and a shared integer below 10000 when previous
 * is 0), else the string `previous:current`. Value encoding: the string
 * `index:previous:current` under a relative TTL. The base does not depend on
 * the limit, so a limit can change without a reset.
 */
export const SLIDING_WINDOW_LUA = `
local slidingWindow = {}
-- Its state's fields are all in keepState (prelude): a set may undo a tentative commit.
slidingWindow.undoable = true
local PACK = 67108864

-- Least whole wait after which cost fits, if nothing else arrives.
local function slidingRetryAfter(limit, windowMs, previous, current, cost, elapsed)
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

-- -math.huge: a library reads no global (math) while it loads.
local EMPTY_INDEX = -1 / 0

function slidingWindow.load(key, p)
  local stored = redis.pcall('GET', key)
  -- The fields set later (stateOf, decide) are named here too, so the table is sized once instead of
  -- growing (a rehash, about 1.5k instructions) as they are added: once per key read.
  if not stored then
    return {index = EMPTY_INDEX, previous = 0, current = 0, impl = false, p = false, dirty = false, ttl = false}
  end
  -- A string has no err, an error table does (see failed in the prelude).
  if stored.err then return nil, stored.err end
  -- The expiry encoding's packed counts are a number, and neither string form is: tried first, as
  -- fixedWindow.load does, it spares the common case two string.match calls that fail (C calls).
  local both = tonumber(stored)
  if both then
    local expireAtMs = redis.pcall('PEXPIRETIME', key)
    -- An expiry past 2^53 ms (year 287,000) is none flowgate sets. (type: an error table, as
    -- failed() tests, without a Lua call.)
    if type(expireAtMs) ~= 'number' or expireAtMs < 0 or expireAtMs > MAX_EXACT then return nil, NOT_OURS end
    -- NaN, a fraction or a negative count would be decided on.
    if not (both % 1 == 0 and both >= 0 and both <= MAX_EXACT) then return nil, NOT_OURS end
    -- floorDiv (prelude) of an expiry >= 0, inlined, by division below 2^52 as fixedWindow.load does.
    local windowMs = p[2]
    local index
    if expireAtMs < 4503599627370496 then
      index = expireAtMs / windowMs
      index = index - index % 1 - 2
    else
      index = (expireAtMs - math.fmod(expireAtMs, windowMs)) / windowMs - 2
    end
    local current = math.fmod(both, PACK)
    -- expireAt: the key's expiry as read, which save keeps rather than set again; savedValue: the
    -- packed counts as the key holds them, which save can add to.
    return {
      index = index, previous = (both - current) / PACK, current = current, expireAt = expireAtMs,
      savedValue = both, impl = false, p = false, dirty = false, ttl = false,
    }
  end
  local a, b, c = string.match(stored, '^(-?%d+):(%d+):(%d+)$')
  if a then
    local index, previous, current = tonumber(a), tonumber(b), tonumber(c)
    -- Digits, but as many as anyone wrote: a window whose end Redis refuses as an expiry
    -- would fail the whole call when it saves.
    local startMs = index * p[2]
    if startMs < -MAX_EXACT or startMs > MAX_EXACT or previous > MAX_EXACT or current > MAX_EXACT then return nil, NOT_OURS end
    return {index = index, previous = previous, current = current, impl = false, p = false, dirty = false, ttl = false}
  end
  local expireAtMs = redis.pcall('PEXPIRETIME', key)
  -- An expiry past 2^53 ms (year 287,000) is none flowgate sets.
  if failed(expireAtMs) or expireAtMs < 0 or expireAtMs > MAX_EXACT then return nil, NOT_OURS end
  local x, y = string.match(stored, '^(%d+):(%d+)$')
  if not x then return nil, NOT_OURS end
  x, y = tonumber(x), tonumber(y)
  if x > MAX_EXACT or y > MAX_EXACT then return nil, NOT_OURS end
  return {
    index = floorDiv(expireAtMs, p[2]) - 2, previous = x, current = y, expireAt = expireAtMs,
    impl = false, p = false, dirty = false, ttl = false,
  }
end

function slidingWindow.decide(key, s, p, nowMs, cost, commit)
  local limit, windowMs = p[1], p[2]
  -- truncDiv (prelude), inlined as fixedWindow.decide does (see there): a Lua call costs Redis about
  -- 500 instructions of every decision.
  local windowIndex
  if nowMs >= 0 and nowMs < 4503599627370496 then
    windowIndex = nowMs / windowMs
    windowIndex = windowIndex - windowIndex % 1
  else
    windowIndex = (nowMs - math.fmod(nowMs, windowMs)) / windowMs
  end
  local elapsed = nowMs - windowIndex * windowMs
  local storedIndex = s.index
  local previous = s.previous
  local current = s.current
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
  -- The instant the decision takes effect; waits are measured on the caller's
  -- clock: lag ms behind the stored window's start when it went backwards.
  local atMs = windowIndex * windowMs + elapsed
  local lag = atMs - nowMs
  -- weighted * windowMs, exact in integers.
  local previousWeight = previous * untilNextWindow
  local scaledUsed = previousWeight + current * windowMs
  if cost > 0 and scaledUsed + cost * windowMs <= limit * windowMs then
    current = current + cost
    local resetMs = lag + untilNextWindow + windowMs
    if commit then
      s.index = windowIndex
      s.previous = previous
      s.current = current
      -- changed(key, s, resetMs) (prelude), inlined likewise; the TTL only where save reads it (the
      -- value encoding): a table write costs Redis about 150 instructions.
      if not s.dirty then
        s.dirty = true
        written[#written + 1] = key
      end
      if not inExpiry then s.ttl = resetMs + expiryMarginMs end
    end
    -- ceilDiv(previousWeight, windowMs) (prelude), inlined; nothing to divide without a previous count.
    local weighted = 0
    if previousWeight > 0 then
      local r = math.fmod(previousWeight, windowMs)
      weighted = (previousWeight - r) / windowMs + (r > 0 and 1 or 0)
    end
    return 1, limit - current - weighted, resetMs, 0, 0, atMs, commit and cost or 0
  end
  local remaining = math.max(0, limit - current - ceilDiv(previousWeight, windowMs))
  local resetMs = 0
  if current > 0 then
    resetMs = lag + untilNextWindow + windowMs
  elseif previous > 0 then
    resetMs = lag + untilNextWindow
  end
  -- Cost 0: the state as it is.
  if cost == 0 then return 1, remaining, resetMs, 0, 0, atMs, 0 end
  return 0, remaining, resetMs, lag + slidingRetryAfter(limit, windowMs, previous, current, cost, elapsed), 0, atMs, 0
end

function slidingWindow.refund(key, s, p, nowMs, cost, atMs, resetMs)
  -- A key without state (never used, expired, reset) has nothing to give back.
  if s.index == -math.huge then return end
  -- The admission's units are in the current count while its window is the
  -- stored one, in the previous count one window later, and gone after that.
  -- Without an instant (nil), the admission is the key's latest: in the stored window.
  local admittedIndex = atMs and truncDiv(atMs, p[2]) or s.index
  if s.index == admittedIndex then
    s.current = s.current - math.min(cost, s.current)
  elseif s.index == admittedIndex + 1 then
    s.previous = s.previous - math.min(cost, s.previous)
  else
    return
  end
  changed(key, s, nil)
end

function slidingWindow.save(key, s, p)
  local previous, current = s.previous, s.current
  if inExpiry then
    local expireAt = (s.index + 2) * p[2]
    local value, saved
    if previous < 2 * PACK and current < PACK then
      value, saved = previous * PACK + current, s.savedValue
    else
      value = fmt(previous) .. ':' .. fmt(current)
    end
    -- Still the window the key expires with: KEEPTTL costs Redis about 10k instructions less than PXAT.
    if expireAt == s.expireAt then
      if saved then
        -- The key holds the packed counts (as read) under that expiry, and this window's admissions add
        -- to its current count alone: INCRBY, as fixedWindow.save does (see there), leaves the same
        -- integer, keeps the expiry and costs Redis less than SET KEEPTTL. A value Redis reads as no
        -- integer fails it, changing nothing: its answer, an error table, is not the value, and SET writes it.
        local delta = value - saved
        if redis.pcall('INCRBY', key, delta == 1 and '1' or delta) ~= value then
          redis.call('SET', key, value, 'KEEPTTL')
        end
        return
      end
      redis.call('SET', key, value, 'KEEPTTL')
    else
      redis.call('SET', key, value, 'PXAT', expireAt)
    end
    return
  end
  local state = fmt(s.index) .. ':' .. fmt(previous) .. ':' .. fmt(current)
  if s.ttl then
    redis.call('SET', key, state, 'PX', s.ttl)
  else
    redis.call('SET', key, state, 'KEEPTTL')
  end
end
`;
