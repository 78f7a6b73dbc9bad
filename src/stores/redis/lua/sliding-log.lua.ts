/**
 * Twin of src/policies/sliding-log.ts and log-state.ts. The log is a list:
 * element 0 is a sentinel `time:base` whose running total `base` counts the
 * units admitted before the kept entries (its time is unused); then one
 * entry `time:cumulative` per distinct admission instant, oldest first. The
 * units admitted from any entry on are a subtraction with the newest entry's
 * total, so no decision reads the whole log: where the window starts is a
 * galloping search from the oldest entry (one read when little has expired,
 * O(log n) reads at worst), a denial reads only as far as the unit it waits
 * for, and an admission drops the entries that left the window at once
 * (LTRIM). As in the twin, only an admission drops anything. A missing key is
 * the empty log; an admission after everything left the window starts a new one.
 *
 * Like a counter's state, a log's is read once per script: the entries read
 * stay known (by index) and each admission or refund updates what is known,
 * so the requests of a batch on one key do not read the list again; its
 * expiry is set once, when the script saves. The requests of a batch share an
 * instant (the server's TIME is read once per call), so on a hot key all but
 * the first of them add to the newest entry: that entry is written once
 * (logSync), when the script saves or before anything reads or moves the
 * list's tail, instead of once per admission.
 *
 * List indexes that are constants go to redis.call as strings: a Lua number
 * is formatted with '%.17g' by Redis 7.0 (about 1.7k instructions each).
 */
export const SLIDING_LOG_LUA = `
local slidingLog = {}

-- time, cumulative of one element 'time:cumulative', or nil when flowgate did not write it:
-- every element read is checked, not only those read at load (the search reads the middle
-- later). Integers in decimal digits (no NaN, infinity, fraction or exponent) within 2^53.
-- One match costs Redis about what the find and two subs it replaces did.
local function logEntry(element)
  local t, c = string.match(element, '^(-?%d+):(%d+)$')
  if not t then return nil, nil end
  t, c = tonumber(t), tonumber(c)
  if t >= -MAX_EXACT and t <= MAX_EXACT and c <= MAX_EXACT then return t, c end
  return nil, nil
end

-- The running total of the sentinel 'time:base' (its time is unused), or nil.
local function logBase(element)
  local colon = string.find(element, ':', 1, true)
  if not colon then return nil end
  local base = tonumber(string.sub(element, colon + 1))
  if base and base % 1 == 0 and base >= 0 and base <= MAX_EXACT then return base end
  return nil
end

-- Marks s foreign: an entry read after load was not flowgate's. Its decisions then fail
-- (NOT_OURS) before writing anything, this request's and the later ones' of the call on
-- the key; the values stand in for the entry only so that the search ends without error.
local function logForeign(s)
  s.foreign = true
  return math.huge, math.huge
end

function slidingLog.load(key, p)
  -- The sentinel and the oldest entry: all a decision reads while nothing has expired.
  local head = redis.pcall('LRANGE', key, '0', '1')
  local err = failed(head)
  if err then return nil, err end
  -- t, c: the entries read so far, by index (entry i is list element i); size: entries after the sentinel, read when needed.
  -- The fields set later (stateOf, changed, logAdmit) are named here too, so the table is sized
  -- once instead of growing (a rehash) as they are added; all but foreign (logForeign), rare,
  -- which named here cost every load about 0.9k instructions.
  local s = {
    key = key, base = 0, newest = -math.huge, newestCum = 0, size = 0, t = {}, c = {},
    impl = false, p = false, dirty = false, ttl = false, stale = false,
  }
  if #head == 0 then return s end
  local base = logBase(head[1])
  local first, firstCum = logEntry(head[2] or '')
  local newest, newestCum = logEntry(redis.call('LINDEX', key, '-1'))
  if not base or not first or not firstCum or not newest or not newestCum then return nil, NOT_OURS end
  s.t[1], s.c[1] = first, firstCum
  s.base, s.newest, s.newestCum, s.size = base, newest, newestCum, nil
  return s
end

-- The text of an instant (fmt), kept for the next entry: the requests of a call share
-- the server's TIME, so one string.format serves them all.
local instant, instantText = nil, nil
local function textOf(now)
  if now ~= instant then instant, instantText = now, fmt(now) end
  return instantText
end

-- Writes the newest entry if admissions changed it since the list was last written
-- (s.stale): before anything reads the list past what s knows, or moves its tail.
local function logSync(s)
  if s.stale then
    redis.call('LSET', s.key, '-1', textOf(s.newest) .. ':' .. fmt(s.newestCum))
    s.stale = false
  end
end

-- Entries after the sentinel.
local function logSize(s)
  if s.size == nil then s.size = redis.call('LLEN', s.key) - 1 end
  return s.size
end

-- Entry i (1 <= i <= size): its time and cumulative total.
local function logAt(s, i)
  local t = s.t[i]
  if t == nil then
    logSync(s)
    local c
    t, c = logEntry(redis.call('LINDEX', s.key, i))
    if t == nil then t, c = logForeign(s) end
    s.t[i], s.c[i] = t, c
  end
  return t, s.c[i]
end

-- The first entry still in the window at now (time + windowMs > now), or nil when none is.
local function logFirstLive(s, now, windowMs)
  local horizon = now - windowMs
  if s.newest <= horizon then return nil end
  local low = 1
  if logAt(s, low) > horizon then return low end
  -- Entry low has left the window and the newest has not: gallop to one that has not, then halve.
  local size = logSize(s)
  local step = 1
  local high = low + step
  while high <= size and logAt(s, high) <= horizon do
    low = high
    step = step * 2
    high = low + step
  end
  if high > size then high = size end
  while high - low > 1 do
    local middle = low + math.floor((high - low) / 2)
    if logAt(s, middle) <= horizon then low = middle else high = middle end
  end
  return high
end

-- Units admitted from entry i on (none from nil).
local function logCountFrom(s, i)
  if i == nil then return 0 end
  return s.newestCum - (i > 1 and select(2, logAt(s, i - 1)) or s.base)
end

-- Writes an admission of cost at now (count: the units live before it; live: the
-- first live entry) and keeps s what the list now is, so that the next request of
-- the script on this key reads nothing it already knows.
local function logAdmit(key, s, now, cost, count, live)
  local total = s.newestCum
  if count == 0 then
    if s.newest ~= -math.huge then redis.call('DEL', key) end
    s.stale = false
    redis.call('RPUSH', key, '0:0', textOf(now) .. ':' .. fmt(cost))
    s.base, s.size, s.t, s.c = 0, 1, {now}, {cost}
    s.newest, s.newestCum = now, cost
    return
  end
  if live > 1 then
    -- The tail stays where it is: a pending write of the newest entry (logSync) still lands on it.
    redis.call('LTRIM', key, live - 1, '-1')
    -- Entry live - 1 is the new sentinel (its total the new base), entry live the new entry 1.
    local shift = live - 1
    local t1, c1 = s.t[live], s.c[live]
    s.base = s.c[shift]
    s.t, s.c = {}, {}
    if t1 ~= nil then s.t[1], s.c[1] = t1, c1 end
    if s.size then s.size = s.size - shift end
  end
  if s.newest == now then
    -- Written once, by logSync; the newest entry's total changed, and it is the only entry stamped now.
    s.stale = true
    if s.size then
      if s.t[s.size] ~= nil then s.c[s.size] = total + cost end
    else
      local t1, c1 = s.t[1], s.c[1]
      s.t, s.c = {}, {}
      if t1 ~= nil then s.t[1], s.c[1] = t1, t1 == now and total + cost or c1 end
    end
  else
    logSync(s)
    local length = redis.call('RPUSH', key, textOf(now) .. ':' .. fmt(total + cost))
    s.size = length - 1
    s.t[s.size], s.c[s.size] = now, total + cost
  end
  s.newest, s.newestCum = now, total + cost
end

function slidingLog.decide(key, s, p, nowMs, cost, commit)
  local limit, windowMs = p[1], p[2]
  local newest = s.newest
  -- A clock behind the newest entry: decide as if at that entry's time.
  local now = math.max(nowMs, newest)
  local live = logFirstLive(s, now, windowMs)
  local count = logCountFrom(s, live)
  -- An entry read, by this request or an earlier one of the call, was not flowgate's.
  if s.foreign then return NOT_OURS end
  if count + cost <= limit then
    -- Cost 0: the state as it is.
    if cost == 0 then return 1, limit - count, count > 0 and newest + windowMs - nowMs or 0, 0, 0, now, 0 end
    -- Waits are measured on the caller's clock (nowMs), behind now when the clock went backwards.
    local resetMs = now + windowMs - nowMs
    if commit then
      -- Only an admission drops what left the window: its entry becomes the newest,
      -- so no caller is decided before that instant again.
      logAdmit(key, s, now, cost, count, live)
      -- Its expiry is set once per script, when the log is saved.
      changed(key, s, resetMs)
    end
    return 1, limit - count - cost, resetMs, 0, 0, now, commit and cost or 0
  end
  -- Admitted once the oldest count + cost - limit live units have left the window;
  -- each entry holds at least one unit, so at most that many entries are read.
  local k = count + cost - limit
  local target = (live > 1 and select(2, logAt(s, live - 1)) or s.base) + k
  local i = live
  while true do
    if s.t[i] == nil then
      logSync(s)
      local chunk = redis.call('LRANGE', key, i, i + math.max(8, k) - 1)
      for j = 1, #chunk do
        local t, c = logEntry(chunk[j])
        if t == nil then t, c = logForeign(s) end
        s.t[i + j - 1], s.c[i + j - 1] = t, c
      end
    end
    if s.c[i] >= target then break end
    i = i + 1
  end
  if s.foreign then return NOT_OURS end
  return 0, math.max(0, limit - count), newest + windowMs - nowMs, s.t[i] + windowMs - nowMs, 0, now, 0
end

-- Gives back up to cost units of the admission at atMs; true when the list changed, NOT_OURS
-- (changing nothing) when an entry it reads is not flowgate's.
local function logRefund(key, s, p, nowMs, cost, atMs)
  if s.newest == -math.huge then return false end
  -- Without an instant (nil), the admission is the key's latest: its newest entry.
  atMs = atMs or s.newest
  -- Units that already left the window are not given back.
  if atMs + p[2] <= math.max(nowMs, s.newest) or atMs > s.newest then return false end
  logSync(s)
  -- Search from the newest entry, where refunds usually land, in growing chunks
  -- that end with the entry before the match (the sentinel at worst).
  local size = 8
  local chunk
  while true do
    chunk = redis.call('LRANGE', key, -size, -1)
    if #chunk < size then break end
    local t1 = logEntry(chunk[1])
    if t1 == nil then return NOT_OURS end
    if t1 < atMs then break end
    size = size * 2
  end
  -- Every entry from the match on, parsed (and checked) before anything is written.
  local times, totals = {}, {}
  local q = 0
  for j = #chunk, 2, -1 do
    local t, c = logEntry(chunk[j])
    if t == nil then return NOT_OURS end
    times[j], totals[j] = t, c
    if t == atMs then
      q = j
      break
    end
    if t < atMs then return false end
  end
  if q == 0 then return false end
  local _, before = logEntry(chunk[q - 1])
  if before == nil then return NOT_OURS end
  local t, cum = times[q], totals[q]
  local taken = math.min(cost, cum - before)
  if taken <= 0 then return false end
  -- Every later running total drops by what is given back.
  for j = q + 1, #chunk do
    redis.call('LSET', key, j - #chunk - 1, fmt(times[j]) .. ':' .. fmt(totals[j] - taken))
  end
  if taken < cum - before then
    redis.call('LSET', key, q - #chunk - 1, fmt(t) .. ':' .. fmt(cum - taken))
  elseif logSize(s) == 1 then
    -- Its only entry: the log is empty.
    redis.call('DEL', key)
  else
    redis.call('LSET', key, q - #chunk - 1, '#')
    redis.call('LREM', key, -1, '#')
  end
  return true
end

-- Returns NOT_OURS when the list is not flowgate's (then nothing was given back).
function slidingLog.refund(key, s, p, nowMs, cost, atMs, resetMs)
  if s.foreign then return NOT_OURS end
  local refunded = logRefund(key, s, p, nowMs, cost, atMs)
  if refunded == NOT_OURS then
    s.foreign = true
    return NOT_OURS
  end
  if not refunded then return end
  -- Entries moved or changed: what s knows of the list is read again (the script may decide on it).
  -- Its head and tail were read and checked already, so this load cannot fail.
  local fresh = slidingLog.load(key, p)
  s.base, s.newest, s.newestCum, s.size, s.t, s.c = fresh.base, fresh.newest, fresh.newestCum, fresh.size, fresh.t, fresh.c
end

-- The expiry of a log that admitted in this script: its last admission's.
function slidingLog.save(key, s, p)
  logSync(s)
  redis.call('PEXPIRE', key, s.ttl)
end
`;
