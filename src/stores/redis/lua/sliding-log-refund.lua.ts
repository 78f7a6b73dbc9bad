/**
 * The sliding log's refunds, part of SLIDING_LOG_LUA (sliding-log.lua.ts, whose
 * locals this text uses: it is appended after them). A refund gives back the
 * units of one admission in what the log's state knows, and the list is
 * written only once the request can no longer fail (flush), or the state read
 * again (discard); see logRefund.
 */
export const SLIDING_LOG_REFUND_LUA = `
-- Reads entries from..to into what s knows, in one LRANGE, but for those known already (a
-- refund's walk). One that does not parse stays unknown: logAt reads it again, and marks s
-- foreign, only if the walk gets to it (the chunk reads past what it needs).
local function logFill(s, from, to)
  logSync(s)
  logOwn(s)
  local chunk = redis.call('LRANGE', s.key, from, to)
  for j = 1, #chunk do
    local i = from + j - 1
    if s.t[i] == nil then
      local t, c = logEntry(chunk[j])
      if t ~= nil then s.t[i], s.c[i] = t, c end
    end
  end
end

-- Gives back up to cost units of the admission at atMs in what s knows of the list, and marks
-- the entries from the changed one on to be written (s.from; s.listed: the entries the list
-- holds until then) by slidingLog.flush, once nothing of the request can fail any more (or
-- forgotten by slidingLog.discard). Until then every entry from the one before the changed one
-- to the newest is known, and those before it are as the list holds them, so a decision on s
-- reads the list as if written. Returns true when s changed, NOT_OURS (changing nothing) when
-- an entry it reads is not flowgate's or out of order.
local function logRefund(key, s, p, nowMs, cost, atMs)
  if s.newest == -math.huge then return false end
  -- The units the list holds: flowgate's are those of its window at its last admission (what left
  -- the window is trimmed then), never fewer than none or more than a limit admits. The walk below
  -- may stop before it reads the base (a refund of the newest entry): checked here, as decide does.
  local units = s.newestCum - s.base
  if units < 0 or units > MAX_LOG_UNITS then
    logForeign(s)
    return NOT_OURS
  end
  -- Without an instant (nil), the admission is the key's latest: its newest entry.
  atMs = atMs or s.newest
  logOwn(s)
  -- Units that already left the window are not given back.
  if atMs + p[2] <= math.max(nowMs, s.newest) or atMs > s.newest then return false end
  local size = logSize(s)
  local t, c = s.t[size], s.c[size]
  if t == nil then t, c = s.newest, s.newestCum end
  s.t[size], s.c[size] = t, c
  -- Walk from the newest entry, where refunds usually land, to the admission's and the one
  -- before it, reading unknown entries in growing chunks. Flowgate's entries are later and
  -- greater in total than the one before: anything else is not its list (and, unchecked,
  -- would have the refund write totals below zero).
  local q, chunk = size, 2
  while true do
    local at = q - 1
    local above, aboveTotal = t, c
    if at == 0 then
      t, c = -math.huge, s.base
    else
      if s.t[at] == nil then
        logFill(s, math.max(1, at - chunk + 1), at)
        chunk = chunk * 2
      end
      t, c = logAt(s, at)
      if s.foreign then return NOT_OURS end
    end
    -- Every entry walked is in the window and holds a unit: no more of them than a limit admits.
    if t >= above or c >= aboveTotal or size - at > MAX_LOG_UNITS then
      logForeign(s)
      return NOT_OURS
    end
    if above <= atMs then
      -- above is entry q, t and c the one before it.
      if above < atMs then return false end
      t, c = above, aboveTotal
      break
    end
    if at == 0 then return false end
    q = at
  end
  local before = q > 1 and s.c[q - 1] or s.base
  local taken = math.min(cost, c - before)
  if taken <= 0 then return false end
  -- Every later running total drops by what is given back.
  for i = q + 1, size do s.c[i] = s.c[i] - taken end
  -- Entry 1 may go (its time then entry 2's); the carried fields are formatted again when next written.
  s.carry = false
  s.listed = s.listed or size
  s.from = math.min(s.from or q, q)
  if taken < c - before then
    s.c[q] = c - taken
  elseif size == 1 then
    -- Its only entry: the log is empty (the key is deleted).
    s.base, s.newest, s.newestCum, s.size, s.t, s.c, s.oldest = 0, -math.huge, 0, 0, {}, {}, false
    return true
  else
    for i = q, size - 1 do s.t[i], s.c[i] = s.t[i + 1], s.c[i + 1] end
    s.t[size], s.c[size] = nil, nil
    size = size - 1
    s.size = size
    if q == 1 then s.oldest = s.t[1] end
  end
  s.newest, s.newestCum = s.t[size], s.c[size]
  return true
end

-- Returns NOT_OURS when the list is not flowgate's (then nothing was given back).
function slidingLog.refund(key, s, p, nowMs, cost, atMs, resetMs)
  if s.foreign then return NOT_OURS end
  -- An admission of the call still to be written goes first: the refund may change that entry.
  logSync(s)
  if logRefund(key, s, p, nowMs, cost, atMs) == NOT_OURS then return NOT_OURS end
end

-- Writes what the request's refunds changed in s (see logRefund): entries from s.from on in
-- place, counted from the tail as the list holds them, then drops those a refund removed.
function slidingLog.flush(key, s)
  local from = s.from
  if not from then return end
  s.from = nil
  local size, listed = s.size, s.listed
  s.listed = nil
  if size == 0 then
    redis.call('DEL', key)
    return
  end
  -- Without carried fields (the next load reads the head). From the newest entry at least: when a refund
  -- removed the newest, the entry that becomes the newest must not keep the fields it carried once.
  for i = math.min(from, size), size do
    redis.call('LSET', key, i - listed - 1, fmt(s.t[i]) .. ':' .. fmt(s.c[i]))
  end
  if listed > size then redis.call('LTRIM', key, '0', size - listed - 1) end
end

-- Forgets what the request's refunds changed in s, none of it written: s is read again.
function slidingLog.discard(key, s, p)
  if not s.from then return end
  s.from, s.listed = nil, nil
  -- The list is as it was when s was loaded or last written by the call, so this load cannot fail.
  local fresh = slidingLog.load(key, p)
  s.base, s.newest, s.newestCum, s.size, s.t, s.c = fresh.base, fresh.newest, fresh.newestCum, fresh.size, fresh.t, fresh.c
  s.oldest, s.carry = fresh.oldest, fresh.carry
end
`;
