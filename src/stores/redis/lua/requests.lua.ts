/**
 * What deciding a request takes (stateOf, load, decideSet, report, ...):
 * definitions, after the prelude, the policies and limits.lua.ts, and before
 * the call's own code (main.lua.ts). In a Redis Function library they are
 * made once, not on every call: each costed a closure per call. They read the
 * call in progress through the upvalues below, which the call sets first.
 */
export const REQUESTS_LUA = `
-- The call in progress: its keys and arguments, its limits (L of them) and the reply it builds.
local callKeys, callArgv, limits, L, reply

local function stateOf(limit, key)
  local s = states[key]
  if s then return s end
  local err
  s, err = limit.impl.load(key, limit.p)
  if s then
    s.impl = limit.impl
    s.p = limit.p
    states[key] = s
  end
  return s, err
end

-- Reads the states of request r's limits into loaded (reused by every request), or
-- returns nil and the first error.
local loaded = {}
local function load(first)
  for j = 1, L do
    local key = callKeys[first + j]
    -- stateOf, inlined (every limit of every request): a Lua call costs Redis about 500 instructions.
    local s = states[key]
    if not s then
      local limit = limits[j]
      local err
      s, err = limit.impl.load(key, limit.p)
      if not s then return nil, err end
      s.impl = limit.impl
      s.p = limit.p
      states[key] = s
    end
    loaded[j] = s
  end
  return loaded
end

-- A request's cost in limit j: one number for every limit, or a table of one per limit ('c' and 'E' ops).
local function costOf(cost, j)
  if type(cost) == 'table' then return cost[j] end
  return cost
end

-- A request argument that is a whole number from lo to below 2^53, as a number; else nil.
local function wholeArg(x, lo)
  local n = tonumber(x)
  if n and n % 1 == 0 and n >= lo and n < MAX_EXACT then return n end
  return nil
end

-- The error of a request whose own arguments are missing or malformed (only a raw caller's:
-- flowgate's client sends none). Found before the request reads or writes anything, it fails
-- that request alone: a Lua error would fail the whole call, after the requests before it
-- had written (a reset's DEL, a sliding log's list).
local function malformed(what)
  return 'flowgate: malformed request arguments: ' .. what
end

-- Reads the L costs of a 'c' or 'E' op from callArgv[from]; nil if one is not a whole number.
local function costsAt(from)
  local costs = {}
  for j = 1, L do
    -- wholeArg, inlined (per limit of every such request).
    local cost = tonumber(callArgv[from + j - 1])
    if not (cost and cost % 1 == 0 and cost >= 0 and cost < MAX_EXACT) then return nil end
    costs[j] = cost
  end
  return costs
end

-- Whether a refund's 3 arguments per limit from callArgv[from] are there and well formed:
-- atMs '' (no refund in that limit), 'L' or a whole number, then resetMs and the units.
local function refundArgsOk(from)
  if from + 3 * L - 1 > #callArgv then return false end
  for at = from, from + 3 * L - 3, 3 do
    local atMs = callArgv[at]
    if atMs ~= '' then
      -- (An instant, like the clock, may lie before 1970: a clock that went back.)
      if atMs ~= 'L' and not wholeArg(atMs, 1 - MAX_EXACT) then return false end
      if not wholeArg(callArgv[at + 1], 0) or not wholeArg(callArgv[at + 2], 0) then return false end
    end
  end
  return true
end

-- The request's decision in limit j, its 7 numbers (see the reply in the prelude) at
-- out[7j - 6 .. 7j]: one flat table for every request, no table per decision.
local out = {}
local function decideInto(j, first, s, nowMs, cost, commit)
  local limit = limits[j]
  local at = 7 * j - 7
  out[at + 1], out[at + 2], out[at + 3], out[at + 4], out[at + 5], out[at + 6], out[at + 7] =
    limit.impl.decide(callKeys[first + j], s, limit.p, nowMs, cost, commit)
  return out[at + 1]
end

-- The compact status of a request whose every limit admitted cost (one number for all:
-- the caller checks) at nowMs with no wait (out, after decideSet): 2 with no delay, 3 with
-- a delay in some limit (a leaky bucket's queue), when all a compact reply leaves out is
-- known to the caller; otherwise false.
local function compactStatus(nowMs, cost)
  local status = 2
  for at = 0, 7 * L - 7, 7 do
    if out[at + 1] ~= 1 or out[at + 4] ~= 0 or out[at + 6] ~= nowMs or out[at + 7] ~= cost then
      return false
    end
    if out[at + 5] ~= 0 then status = 3 end
  end
  return status
end

-- Before a set's committing pass: a limit whose log an earlier limit of the set shares (one
-- key: limits sharing a key share its algorithm and window, which the key's name carries)
-- decides there after that limit's admission, and may read entries of the list that its
-- first decision did not. They are read first, before anything is written: its decision for
-- the units the earlier limits add, capped at its limit, on the state as it is reads every
-- entry the committing pass can (the entries that hold those units, all of the window's at
-- the cap). True when one was not flowgate's: that limit's decision is NOT_OURS (in out).
local function sharedLogUnread(first, nowMs, cost, each)
  for j = 2, L do
    local s = loaded[j]
    local spent = 0
    for i = 1, j - 1 do
      if loaded[i] == s and out[7 * i - 6] == 1 then spent = spent + (each and cost[i] or cost) end
    end
    if spent > 0 and out[7 * j - 6] == 1 and limits[j].impl.flush then
      local p = limits[j].p
      local units = math.min(spent + (each and cost[j] or cost), p[1])
      if limits[j].impl.decide(callKeys[first + j], s, p, nowMs, units, false) == NOT_OURS then
        out[7 * j - 6] = NOT_OURS
        return true
      end
    end
  end
  return false
end

-- Decides request first's limits (loaded) into out, all or nothing. A limit whose state
-- turned out not to be flowgate's as it was read (a sliding log's middle entry) decides
-- NOT_OURS in out, and nothing of the request is committed: a log fails before it
-- commits, a set before its committing pass. each: cost is a table of one cost per limit
-- (a 'c' op), else one number for all. compact: the caller takes compact replies.
-- Returns the request's compact status (see compactStatus) when the caller takes compact
-- replies and it commits one cost for all, else nil: a single limit and the one pass tell it
-- from the decisions as they are made, and then write to out only what the compact reply
-- carries (remaining, resetMs, delayMs): each table write costs Redis about 150 instructions.
local kept = {}
local function decideSet(first, nowMs, cost, each, commit, compact)
  if L == 1 then
    -- decideInto, inlined for a batch of single-limit requests (a Lua call: about 500 instructions each).
    local limit = limits[1]
    local allowed, remaining, resetMs, retryAfterMs, delayMs, atMs, spent =
      limit.decide(callKeys[first + 1], loaded[1], limit.p, nowMs, each and cost[1] or cost, commit)
    if compact and commit and not each and allowed == 1 and retryAfterMs == 0 and atMs == nowMs and spent == cost then
      out[2], out[3], out[5] = remaining, resetMs, delayMs
      return delayMs == 0 and 2 or 3
    end
    out[1], out[2], out[3], out[4], out[5], out[6], out[7] = allowed, remaining, resetMs, retryAfterMs, delayMs, atMs, spent
    return nil
  end
  local once = commit and limits.undoable
  if once then
    -- Limits sharing a state (one key) go the two passes: there the later ones decide on the
    -- state as it was, not as an earlier limit left it. Three limits, the usual set, are
    -- compared without the loops (they cost Redis about 1.5k instructions a request).
    if L == 3 then
      local a, b, c = loaded[1], loaded[2], loaded[3]
      once = a ~= b and a ~= c and b ~= c
    else
      for j = 2, L do
        for i = 1, j - 1 do
          if loaded[i] == loaded[j] then once = false end
        end
      end
    end
  end
  if once then
    -- A set in one pass: each limit commits as it admits; when an enforced limit denies,
    -- what the earlier ones committed is undone (restoreState in the prelude) and the others
    -- decide without committing. The same decisions as the two passes below, with one
    -- decision per limit when the set admits.
    local mark = #written
    local committed = 0
    local status = compact and not each and 2
    for j = 1, L do
      local s, limit, at = loaded[j], limits[j], 7 * j - 7
      local commitThis = committed == j - 1
      -- The last limit commits only when the whole set admits, so it is never undone: nothing
      -- to keep. keepState (prelude) is inlined, as decideInto is: each Lua call costs Redis
      -- about 500 instructions, per limit of every request; and each field kept about 350.
      if commitThis and j < L then
        if limit.fixed then
          -- (Its ttl changes only in the value encoding.)
          kept[at + 1], kept[at + 2], kept[at + 6] = s.index, s.count, s.dirty
          if not inExpiry then kept[at + 7] = s.ttl end
        else
          kept[at + 1], kept[at + 2], kept[at + 3], kept[at + 4], kept[at + 5], kept[at + 6], kept[at + 7] =
            s.index, s.count, s.previous, s.current, s.tat, s.dirty, s.ttl
        end
      end
      local c = each and cost[j] or cost
      local allowed, remaining, resetMs, retryAfterMs, delayMs, atMs, spent =
        limit.decide(callKeys[first + j], s, limit.p, nowMs, c, commitThis)
      -- compactStatus's test, on the values at hand.
      if status and allowed == 1 and retryAfterMs == 0 and atMs == nowMs and spent == c then
        out[at + 2], out[at + 3], out[at + 5] = remaining, resetMs, delayMs
        if delayMs ~= 0 then status = 3 end
      else
        if status then
          -- The limits before this one were compact: what out left out for them is known.
          for i = 0, at - 7, 7 do
            out[i + 1], out[i + 4], out[i + 6], out[i + 7] = 1, 0, nowMs, cost
          end
          status = false
        end
        out[at + 1], out[at + 2], out[at + 3], out[at + 4], out[at + 5], out[at + 6], out[at + 7] =
          allowed, remaining, resetMs, retryAfterMs, delayMs, atMs, spent
      end
      if commitThis and (allowed == 1 or limit.shadow) then committed = j end
    end
    if committed == L then return status or nil end
    for j = committed, 1, -1 do
      local at, s = 7 * j - 7, loaded[j]
      if limits[j].fixed then
        s.index, s.count, s.dirty = kept[at + 1], kept[at + 2], kept[at + 6]
        if not inExpiry then s.ttl = kept[at + 7] end
      else
        restoreState(kept, at, s)
      end
    end
    for i = #written, mark + 1, -1 do written[i] = nil end
    -- Nothing spent: a limit that admitted reports its state as it is.
    for j = 1, L do
      if out[7 * j - 6] == 1 then decideInto(j, first, loaded[j], nowMs, 0, false) end
    end
    return nil
  end
  local all = true
  for j = 1, L do
    local allowed = decideInto(j, first, loaded[j], nowMs, each and cost[j] or cost, false)
    if allowed ~= 1 then
      -- Before the pass that commits: nothing of the set is written.
      if allowed == NOT_OURS then return nil end
      if not limits[j].shadow then all = false end
    end
  end
  -- All or nothing: commit to every limit that admits (a shadow limit spends only what it admits),
  -- or, when an enforced limit denies, report the others' unchanged state.
  if all and not commit then return nil end
  if all and sharedLogUnread(first, nowMs, cost, each) then return nil end
  for j = 1, L do
    if out[7 * j - 6] == 1 then
      decideInto(j, first, loaded[j], nowMs, all and (each and cost[j] or cost) or 0, all)
    end
  end
  if compact and commit and not each then return compactStatus(nowMs, cost) end
  return nil
end

-- Drops the reply's entries from index n on: a request that fails midway answers its error alone.
local function dropReply(n)
  for k = #reply, n, -1 do reply[k] = nil end
end

-- Appends each limit's state as it is now (a cost-0 evaluation), once load(first) has
-- succeeded for the request (so loading a log afresh cannot fail); with cost (one number
-- or one per limit: an 'e'/'E' op), each limit's verdict for it, committing nothing, where
-- a limit that would admit reports its state as it is. Returns NOT_OURS, with nothing
-- appended, when a log's search reads an entry flowgate did not write.
local function report(first, nowMs, cost)
  local n = #reply
  for j = 1, L do
    local limit = limits[j]
    local key = callKeys[first + j]
    local s = stateOf(limit, key)
    local result = {limit.impl.decide(key, s, limit.p, nowMs, cost and costOf(cost, j) or 0, false)}
    if cost and result[1] == 1 then result = {limit.impl.decide(key, s, limit.p, nowMs, 0, false)} end
    if result[1] == NOT_OURS then
      dropReply(n + 1)
      return NOT_OURS
    end
    for k = 1, 7 do reply[#reply + 1] = result[k] end
  end
end

-- Gives back request first's refunds (per limit, from callArgv[from]: atMs, resetMs and
-- the units; atMs '' to skip, 'L' for the key's latest admission), then, with andReport
-- ('R'), appends each limit's state as it is after them (see report). All or nothing: a log
-- gives back in what its state knows and writes its list (flush) only once every refund and
-- the report have read what they need; when a log's list turns out not to be flowgate's,
-- nothing is written (a counter's refund is undone as in decideSet's one pass, a log's forgotten)
-- and it returns NOT_OURS.
local function refundSet(first, from, nowMs, andReport)
  local mark = #written
  local done = 0
  local err
  for j = 1, L do
    local at = from + 3 * (j - 1)
    local atMs = callArgv[at]
    if atMs ~= '' then
      local limit = limits[j]
      keepState(kept, 7 * j - 7, loaded[j])
      local resetMs, cost = tonumber(callArgv[at + 1]), tonumber(callArgv[at + 2])
      done = j
      err = limit.impl.refund(callKeys[first + j], loaded[j], limit.p, nowMs, cost, tonumber(atMs), resetMs)
      if err then break end
    end
  end
  if not err and andReport then err = report(first, nowMs) end
  for j = done, 1, -1 do
    local impl = limits[j].impl
    if callArgv[from + 3 * (j - 1)] ~= '' then
      if not err then
        if impl.flush then impl.flush(callKeys[first + j], loaded[j]) end
      elseif impl.undoable then
        restoreState(kept, 7 * j - 7, loaded[j])
      elseif impl.discard then
        impl.discard(callKeys[first + j], loaded[j], limits[j].p)
      end
    end
  end
  if err then
    for i = #written, mark + 1, -1 do written[i] = nil end
    return err
  end
end
`;
