import { MAX_LOG_LIMIT } from '../../../policies/sliding-log.js';
import { SLIDING_LOG_REFUND_LUA } from './sliding-log-refund.lua.js';

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
 * The newest entry, when an admission wrote it, carries what a decision
 * needs from the head: `time:cumulative:oldest:base`, the oldest entry's time
 * and the sentinel's total. A decision while nothing has expired then reads
 * one element (LINDEX -1) however long the log is, and an admission writes
 * the entry it pushes anyway: no write more. Only the newest element's
 * carried fields count; an older one keeps those it was written with
 * (unread: the entries' parser accepts both forms). A newest entry without
 * them (written by a refund, or by a flowgate before the carry) has the head
 * read as well (LRANGE 0 1), so either layout is read exactly; a flowgate
 * before the carry fails a request on a list whose newest entry carries
 * them as a value it did not write (NOT_OURS).
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
-- The most units a log of flowgate's holds in its window: no limit is above it (MAX_LOG_LIMIT).
local MAX_LOG_UNITS = ${MAX_LOG_LIMIT}

-- time, cumulative of one element 'time:cumulative', or nil when flowgate did not write it:
-- every element read is checked, not only those read at load (the search reads the middle
-- later). Integers in decimal digits (no NaN, infinity, fraction or exponent) within 2^53.
-- One match costs Redis about what the find and two subs it replaces did.
-- The captures are decimal digits, so arithmetic reads them (in the VM, one strtod each),
-- where tonumber is a C call that reads its string twice.
local function logEntry(element)
  -- Most entries were once the newest, written with carried fields (stale now: see above); those
  -- that were not (a refund's, an earlier flowgate's) fail that pattern first.
  local t, c = string.match(element, '^(-?%d+):(%d+):%-?%d+:%d+$')
  if not t then
    t, c = string.match(element, '^(-?%d+):(%d+)$')
    if not t then return nil, nil end
  end
  t, c = t + 0, c + 0
  if t >= -MAX_EXACT and t <= MAX_EXACT and c <= MAX_EXACT then return t, c end
  return nil, nil
end

-- The running total of the sentinel 'time:base' (its time is unused), or nil. An entry that
-- an admission's LTRIM made the sentinel may carry fields (see above).
local function logBase(element)
  local _, base = logEntry(element)
  return base
end

-- Marks s foreign: an entry read after load was not flowgate's. Its decisions then fail
-- (NOT_OURS) before writing anything, this request's and the later ones' of the call on
-- the key; the values stand in for the entry only so that the search ends without error.
local function logForeign(s)
  s.foreign = true
  return math.huge, math.huge
end

-- The entries known of a log read through its newest entry alone: none. Shared by those logs
-- (two tables fewer to make and collect per load) until one is to be stored (logOwn).
local NONE = {}

-- Gives s tables of its own before an entry is stored in them.
local function logOwn(s)
  if s.t == NONE then s.t, s.c = {}, {} end
end

function slidingLog.load(key, p)
  -- The newest entry: with its carried fields, all a decision reads while nothing has expired.
  local tail = redis.pcall('LINDEX', key, '-1')
  -- t, c: the entries read so far, by index (entry i is list element i); size: entries after the sentinel, read
  -- when needed; oldest: entry 1's time when known; carry: the newest entry's carried fields, as written, or
  -- false. The fields set later (stateOf, changed, logAdmit) are named here too, so the table is sized
  -- once instead of growing (a rehash) as they are added; all but foreign (logForeign), rare,
  -- which named here cost every load about 0.9k instructions.
  if not tail then
    return {
      key = key, base = 0, newest = -math.huge, newestCum = 0, size = 0, t = {}, c = {}, oldest = false,
      carry = false, impl = false, p = false, dirty = false, ttl = false, stale = false,
    }
  end
  -- A string has no err, an error table does (see failed in the prelude).
  local err = tail.err
  if err then return nil, err end
  local newest, newestCum, carry, oldest, base = string.match(tail, '^(-?%d+):(%d+)(:(-?%d+):(%d+))$')
  if newest then
    -- Decimal digits (the match): arithmetic reads them (one strtod each, in the VM; tonumber is a
    -- C call that reads a string twice). Within 2^53, and the oldest entry no later than the newest.
    newest, newestCum, oldest, base = newest + 0, newestCum + 0, oldest + 0, base + 0
    if newest > MAX_EXACT or oldest < -MAX_EXACT or oldest > newest or newestCum > MAX_EXACT or base > MAX_EXACT then
      return nil, NOT_OURS
    end
    return {
      key = key, base = base, newest = newest, newestCum = newestCum, size = nil, t = NONE, c = NONE, oldest = oldest,
      carry = carry, impl = false, p = false, dirty = false, ttl = false, stale = false,
    }
  end
  newest, newestCum = logEntry(tail)
  -- No carried fields: the sentinel and the oldest entry (the key is a list: this read cannot fail).
  local head = redis.call('LRANGE', key, '0', '1')
  base = logBase(head[1])
  local first, firstCum = logEntry(head[2] or '')
  if not base or not first or not newest then return nil, NOT_OURS end
  -- Entry 1 made with the tables (one array slot each: no rehash when it is stored).
  return {
    key = key, base = base, newest = newest, newestCum = newestCum, size = nil, t = {first}, c = {firstCum},
    oldest = first, carry = false, impl = false, p = false, dirty = false, ttl = false, stale = false,
  }
end

-- The text of an instant (fmt), kept for the next entry: the requests of a call share
-- the server's TIME, so one string.format serves them all.
local instant, instantText = nil, nil
local function textOf(now)
  if now ~= instant then instant, instantText = now, fmt(now) end
  return instantText
end

-- The fields the newest entry carries, ':oldest:base' (see above): as read while neither changed,
-- else formatted once; '' when entry 1's time is not known (after a refund changed it).
local function logCarry(s)
  local carry = s.carry
  if carry then return carry end
  if not s.oldest then return '' end
  carry = ':' .. fmt(s.oldest) .. ':' .. fmt(s.base)
  s.carry = carry
  return carry
end

-- Writes the newest entry if admissions changed it since the list was last written
-- (s.stale): before anything reads the list past what s knows, or moves its tail.
local function logSync(s)
  if s.stale then
    redis.call('LSET', s.key, '-1', textOf(s.newest) .. ':' .. fmt(s.newestCum) .. logCarry(s))
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
    -- The newest entry is always known (s.newest, s.newestCum), written or not: an admission
    -- does not store it by index too (each table slot added costs a rehash).
    if i == s.size then return s.newest, s.newestCum end
    logSync(s)
    local c
    t, c = logEntry(redis.call('LINDEX', s.key, i))
    if t == nil then t, c = logForeign(s) end
    -- logOwn, inline (a search reads several entries this way).
    if s.t == NONE then s.t, s.c = {}, {} end
    s.t[i], s.c[i] = t, c
  end
  return t, s.c[i]
end

-- The first entry still in the window at now (time + windowMs > now), or nil when none is.
local function logFirstLive(s, now, windowMs)
  local horizon = now - windowMs
  if s.newest <= horizon then return nil end
  local low = 1
  -- Entry 1's time, carried by the newest entry, spares reading it here.
  if (s.oldest or logAt(s, low)) > horizon then return low end
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
    local text = textOf(now)
    -- The entry is the oldest too, after a sentinel of total 0.
    local carry = ':' .. text .. ':0'
    redis.call('RPUSH', key, '0:0', text .. ':' .. fmt(cost) .. carry)
    s.base, s.size, s.t, s.c = 0, 1, {now}, {cost}
    s.newest, s.newestCum, s.oldest, s.carry = now, cost, now, carry
    return
  end
  if live > 1 then
    -- The tail stays where it is: a pending write of the newest entry (logSync) still lands on it.
    redis.call('LTRIM', key, live - 1, '-1')
    -- Entry live - 1 is the new sentinel (its total the new base), entry live the new entry 1
    -- (known: the search read it, or it is the newest).
    local shift = live - 1
    local t1, c1 = s.t[live], s.c[live]
    s.oldest = t1 or live == s.size and s.newest or false
    s.carry = false
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
    if s.stale then logSync(s) end
    -- textOf and fmt, inline (a Lua call costs Redis about 500 instructions): a count below 2^31 is one '%d'.
    if now ~= instant then instant, instantText = now, fmt(now) end
    local cum = total + cost
    local length = redis.call(
      'RPUSH', key, instantText .. ':' .. (cum < 2147483648 and string.format('%d', cum) or fmt(cum)) .. logCarry(s)
    )
    -- Entry size is the newest: logAt knows it from s.newest.
    s.size = length - 1
  end
  s.newest, s.newestCum = now, total + cost
end

function slidingLog.decide(key, s, p, nowMs, cost, commit)
  local limit, windowMs = p[1], p[2]
  local newest = s.newest
  -- A clock behind the newest entry: decide as if at that entry's time (math.max, without its C call).
  local now = nowMs
  if newest > now then now = newest end
  local live, count
  local first, horizon = s.oldest, now - windowMs
  if first and first > horizon and newest > horizon then
    -- The oldest and the newest entry are in the window: logFirstLive's and logCountFrom's first
    -- steps, inline (most decisions on a busy key).
    live, count = 1, s.newestCum - s.base
  else
    live = logFirstLive(s, now, windowMs)
    count = logCountFrom(s, live)
  end
  -- An entry read, by this request or an earlier one of the call, was not flowgate's; or running totals
  -- that go down (flowgate's only grow), which would count fewer than no units (remaining above the
  -- limit), or more units than any limit admits (a denial's scan below reads up to that many entries).
  if s.foreign or count < 0 or count > MAX_LOG_UNITS then
    s.foreign = true
    return NOT_OURS
  end
  if count + cost <= limit then
    -- Cost 0: the state as it is.
    if cost == 0 then return 1, limit - count, count > 0 and newest + windowMs - nowMs or 0, 0, 0, now, 0 end
    -- Waits are measured on the caller's clock (nowMs), behind now when the clock went backwards.
    local resetMs = now + windowMs - nowMs
    if commit then
      -- Only an admission drops what left the window: its entry becomes the newest,
      -- so no caller is decided before that instant again.
      if live == 1 and count > 0 and newest ~= now and not s.stale then
        -- logAdmit's usual case, inline (a spread key's admission; a Lua call costs Redis about 500
        -- instructions): nothing has left the window and the entry is a new instant, pushed after the
        -- newest, carrying its fields (logCarry: as read, unless a trim or refund changed them).
        if now ~= instant then instant, instantText = now, fmt(now) end
        local cum = s.newestCum + cost
        local length = redis.call(
          'RPUSH', key, instantText .. ':' .. (cum < 2147483648 and string.format('%d', cum) or fmt(cum)) .. (s.carry or logCarry(s))
        )
        s.size = length - 1
        s.newest, s.newestCum = now, cum
      else
        logAdmit(key, s, now, cost, count, live)
      end
      -- Its expiry is set once per script, when the log is saved: changed() in the prelude, inline.
      if not s.dirty then
        s.dirty = true
        written[#written + 1] = key
      end
      s.ttl = resetMs + expiryMarginMs
    end
    return 1, limit - count - cost, resetMs, 0, 0, now, commit and cost or 0
  end
  -- Admitted once the oldest count + cost - limit live units have left the window.
  local k = count + cost - limit
  local before = live > 1 and select(2, logAt(s, live - 1)) or s.base
  local target = before + k
  -- Each entry from live on is flowgate's only if it is in the window, no later than the newest, and
  -- later than the one before with a greater total (it holds at least one unit): so at most k entries
  -- are read, and the wait is positive and no longer than resetMs. Out of order, the list is not ours.
  local last = now - windowMs
  local i = live
  logOwn(s)
  while true do
    local t, c = s.t[i], s.c[i]
    if t == nil and i == 1 then
      -- Entry 1, when the newest entry's carried fields spared reading it at load: alone, as the
      -- head read did; a denial for one unit reads no further.
      t, c = logAt(s, 1)
      -- (The newest, when it is entry 1, is known but not stored by index: the wait below reads s.t.)
      s.t[1], s.c[1] = t, c
    elseif t == nil then
      logSync(s)
      -- Entries known already (a refund's, not yet written: see logRefund) are not read again.
      local to = i + math.max(8, k) - 1
      if s.size and to > s.size then to = s.size end
      local chunk = redis.call('LRANGE', key, i, to)
      for j = 1, #chunk do
        if s.t[i + j - 1] == nil then
          local tj, cj = logEntry(chunk[j])
          if tj == nil then tj, cj = logForeign(s) end
          s.t[i + j - 1], s.c[i + j - 1] = tj, cj
        end
      end
      t, c = s.t[i], s.c[i]
      -- Past the list's end: the totals never reached the newest's.
      if t == nil then t, c = logForeign(s) end
    end
    if t <= last or t > newest or c <= before then
      s.foreign = true
      break
    end
    if c >= target then break end
    last, before = t, c
    i = i + 1
  end
  if s.foreign then return NOT_OURS end
  return 0, math.max(0, limit - count), newest + windowMs - nowMs, s.t[i] + windowMs - nowMs, 0, now, 0
end

-- The expiry of a log that admitted in this script: its last admission's.
local expiry, expiryText = nil, nil
function slidingLog.save(key, s, p)
  if s.stale then logSync(s) end
  -- The TTL's digits, kept for the next log: on the server's TIME every admission's TTL is its
  -- window, so one string.format serves a call's keys of one limit.
  local ttl = s.ttl
  if ttl ~= expiry then expiry, expiryText = ttl, ttl < 2147483648 and string.format('%d', ttl) or ttl end
  redis.call('PEXPIRE', key, expiryText)
end
${SLIDING_LOG_REFUND_LUA}`;
