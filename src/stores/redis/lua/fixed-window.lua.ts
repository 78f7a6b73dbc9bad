/**
 * Twin of src/policies/fixed-window.ts. State: the window index and its
 * count; a missing key is window -inf with count 0.
 *
 * Expiry encoding: the key expires exactly at the end of its window,
 * `(index + 1) * windowMs`, and the value is only the count (a shared integer
 * in Redis up to 9999); PEXPIRETIME gives the window back. Value encoding:
 * the string `index:count` under a relative TTL. The two are told apart by
 * the ':'.
 */
export const FIXED_WINDOW_LUA = `
local fixedWindow = {}
-- Its state's fields are all in keepState (prelude): a set may undo a tentative commit.
fixedWindow.undoable = true

function fixedWindow.load(key, p)
  local stored = redis.pcall('GET', key)
  -- The fields set later (stateOf, decide) are named here too, so the table is sized once instead of
  -- growing (a rehash, about 1.5k instructions) as they are added: once per key read.
  if not stored then return {index = -math.huge, count = 0, impl = false, p = false, dirty = false, ttl = false} end
  -- A string has no err, an error table does (see failed in the prelude).
  if stored.err then return nil, stored.err end
  -- The expiry encoding's value, the count alone, is a number; the value encoding's 'index:count'
  -- is none. Tried first, it spares the common case a string.find (a C call: about 500 instructions).
  local count = tonumber(stored)
  if count then
    local expireAtMs = redis.pcall('PEXPIRETIME', key)
    -- An expiry past 2^53 ms (year 287,000) is none flowgate sets. (type: an error table, as
    -- failed() tests, without a Lua call.)
    if type(expireAtMs) ~= 'number' or expireAtMs < 0 or expireAtMs > MAX_EXACT then return nil, NOT_OURS end
    -- A count flowgate writes: an integer within 2^53 (no NaN, infinity or fraction), >= 0.
    if not (count % 1 == 0 and count >= 0 and count <= MAX_EXACT) then return nil, NOT_OURS end
    -- floorDiv (prelude) of an expiry >= 0, inlined, by division below 2^52 as in decide.
    local windowMs = p[2]
    local index
    if expireAtMs < 4503599627370496 then
      index = expireAtMs / windowMs
      index = index - index % 1 - 1
    else
      index = (expireAtMs - math.fmod(expireAtMs, windowMs)) / windowMs - 1
    end
    -- The key's expiry as read: save keeps it rather than set it again. savedCount: the count as
    -- the key holds it, which save adds to.
    return {
      index = index, count = count, expireAt = expireAtMs,
      savedCount = count, impl = false, p = false, dirty = false, ttl = false,
    }
  end
  local colon = string.find(stored, ':', 1, true)
  if not colon then return nil, NOT_OURS end
  local index
  index, count = tonumber(string.sub(stored, 1, colon - 1)), tonumber(string.sub(stored, colon + 1))
  -- Checked here, once: NaN, a fraction or a negative count would be decided on, and a
  -- window whose end Redis refuses as an expiry would fail the whole call when it saves.
  if not (index and count and index % 1 == 0 and count % 1 == 0 and count >= 0 and count <= MAX_EXACT) then return nil, NOT_OURS end
  local startMs = index * p[2]
  if startMs < -MAX_EXACT or startMs > MAX_EXACT then return nil, NOT_OURS end
  return {index = index, count = count, impl = false, p = false, dirty = false, ttl = false}
end

function fixedWindow.decide(key, s, p, nowMs, cost, commit)
  local limit, windowMs = p[1], p[2]
  -- truncDiv (prelude), inlined: a Lua call costs Redis about 500 instructions of every decision.
  -- Below 2^52, by division: there the quotient of two whole numbers (windowMs <= 2^36) never
  -- rounds up to a whole number it does not reach, and q - q % 1 is its floor exactly, without
  -- math.fmod's C call (about 500 instructions more).
  local windowIndex
  if nowMs >= 0 and nowMs < 4503599627370496 then
    windowIndex = nowMs / windowMs
    windowIndex = windowIndex - windowIndex % 1
  else
    windowIndex = (nowMs - math.fmod(nowMs, windowMs)) / windowMs
  end
  local count = s.count
  local storedIndex = s.index
  -- The instant the decision takes effect: the caller's, or the stored window's start when the clock is behind it.
  local atMs = nowMs
  if storedIndex > windowIndex then
    -- A clock behind the stored state: decide in the stored window.
    windowIndex = storedIndex
    atMs = storedIndex * windowMs
  elseif storedIndex < windowIndex then
    count = 0
  end
  -- Waits are measured on the caller's clock, so they stay exact (and the
  -- store's expiry stays late enough) when that clock is behind the state.
  local untilNextWindow = (windowIndex + 1) * windowMs - nowMs
  -- Cost 0: the state as it is.
  if cost == 0 then return 1, math.max(0, limit - count), count > 0 and untilNextWindow or 0, 0, 0, atMs, 0 end
  if count + cost <= limit then
    count = count + cost
    if commit then
      s.index = windowIndex
      s.count = count
      -- changed(key, s, untilNextWindow) (prelude), inlined likewise; the TTL only where save
      -- reads it (the value encoding): a table write costs Redis about 150 instructions.
      if not s.dirty then
        s.dirty = true
        written[#written + 1] = key
      end
      if not inExpiry then s.ttl = untilNextWindow + expiryMarginMs end
    end
    return 1, limit - count, untilNextWindow, 0, 0, atMs, commit and cost or 0
  end
  -- A limit lowered under a shared state can leave count above it; remaining is never negative.
  return 0, math.max(0, limit - count), untilNextWindow, untilNextWindow, 0, atMs, 0
end

function fixedWindow.refund(key, s, p, nowMs, cost, atMs, resetMs)
  -- A key without state (never used, expired, reset) has nothing to give back.
  if s.index == -math.huge then return end
  -- Only the admission's own window holds its units; a later window never gets them.
  -- Without an instant (nil), the admission is the key's latest: in the stored window.
  if atMs and s.index ~= truncDiv(atMs, p[2]) then return end
  s.count = s.count - math.min(cost, s.count)
  changed(key, s, nil)
end

function fixedWindow.save(key, s, p)
  if inExpiry then
    local expireAt = (s.index + 1) * p[2]
    -- Still the window the key expires with: KEEPTTL costs Redis about 10k instructions less than PXAT.
    if expireAt == s.expireAt then
      -- The key holds savedCount (as read) under that expiry: INCRBY, which keeps the expiry, leaves
      -- the same count and costs Redis less than SET KEEPTTL (no flag to parse, and a spread key's
      -- usual +1 goes as the string '1', not a number Redis 7.0 prints with %.17g). A value Redis
      -- reads as no integer (' 5', '1e3': tonumber read them) fails it, changing nothing: its answer,
      -- an error table, is then not the count (no type() call to tell), and SET writes it.
      local count = s.count
      local delta = count - s.savedCount
      if redis.pcall('INCRBY', key, delta == 1 and '1' or delta) ~= count then
        redis.call('SET', key, count, 'KEEPTTL')
      end
    else
      redis.call('SET', key, s.count, 'PXAT', expireAt)
    end
  elseif s.ttl then
    redis.call('SET', key, fmt(s.index) .. ':' .. fmt(s.count), 'PX', s.ttl)
  else
    redis.call('SET', key, fmt(s.index) .. ':' .. fmt(s.count), 'KEEPTTL')
  end
end
`;
