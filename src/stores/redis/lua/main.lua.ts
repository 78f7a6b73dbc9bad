/**
 * The body of flowgate's script (after the prelude and the policies): reads
 * each limit's policy (limits.lua.ts), then decides the batch's requests in order, each one
 * all or nothing across its limits, and finally writes every changed counter
 * once. A request whose key cannot be read (a wrong type, a value flowgate
 * did not write) gets an error of its own; it decides, fails and commits
 * nothing for the others. It expects a local ALGORITHMS (code -> policy
 * table) for the algorithms the script carries: see scripts.ts.
 */
export const MAIN_LUA = `

local limits, cursor, compact = readLimits(ARGV)
local L = limits.n
-- On the server's TIME a batch of cost-1 limits (the common case) comes without per-request arguments.
local plain = #ARGV < cursor

local function stateOf(limit, key)
  if not limit.cached then return limit.impl.load(key, limit.p) end
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

local reply = {serverNowMs, 1}
local report

-- Reads the states of request r's limits, or returns nil and the first error.
local function load(first)
  local loaded = {}
  for j = 1, L do
    local s, err = stateOf(limits[j], KEYS[first + j])
    if not s then return nil, err end
    loaded[j] = s
  end
  return loaded
end

-- A request's cost in limit j: one number for every limit, or a table of one per limit ('c' and 'E' ops).
local function costOf(cost, j)
  if type(cost) == 'table' then return cost[j] end
  return cost
end

-- Reads the L costs of a 'c' or 'E' op from ARGV[from].
local function costsAt(from)
  local costs = {}
  for j = 1, L do costs[j] = tonumber(ARGV[from + j - 1]) end
  return costs
end

-- A limit of a set in one pass: each limit commits as it admits; when an enforced
-- limit denies, what the earlier ones committed is undone (see undoable in the
-- prelude) and the others decide without committing. The same results as the two
-- passes below, with one decision per limit when the set admits. Limits sharing a
-- state (one key) go the two passes (nil): there the later ones decide on the state
-- as it was, not as an earlier limit left it.
local function decideSetOnce(first, loaded, nowMs, cost)
  for j = 2, L do
    for i = 1, j - 1 do
      if loaded[i] == loaded[j] then return nil end
    end
  end
  local results = {}
  local kept = {}
  local mark = #written
  local denied = false
  for j = 1, L do
    local limit = limits[j]
    local s = loaded[j]
    if not denied then kept[j] = keepState(s) end
    local result = {limit.impl.decide(KEYS[first + j], s, limit.p, nowMs, costOf(cost, j), not denied)}
    results[j] = result
    if result[1] == 0 and not limit.shadow then denied = true end
  end
  if not denied then return results end
  for j = #kept, 1, -1 do restoreState(loaded[j], kept[j]) end
  for i = #written, mark + 1, -1 do written[i] = nil end
  -- Nothing spent: a limit that admitted reports its state as it is.
  for j = 1, L do
    if results[j][1] == 1 then
      local limit = limits[j]
      results[j] = {limit.impl.decide(KEYS[first + j], loaded[j], limit.p, nowMs, 0, false)}
    end
  end
  return results
end

local function decideSet(first, loaded, nowMs, cost, commit)
  if L == 1 then
    local limit = limits[1]
    return {{limit.impl.decide(KEYS[first + 1], loaded[1], limit.p, nowMs, costOf(cost, 1), commit)}}
  end
  if commit and limits.undoable then
    local results = decideSetOnce(first, loaded, nowMs, cost)
    if results then return results end
  end
  local results = {}
  local all = true
  for j = 1, L do
    local limit = limits[j]
    results[j] = {limit.impl.decide(KEYS[first + j], loaded[j], limit.p, nowMs, costOf(cost, j), false)}
    if results[j][1] == 0 and not limit.shadow then all = false end
  end
  -- All or nothing: commit to every limit that admits (a shadow limit spends only what it admits),
  -- or, when an enforced limit denies, report the others' unchanged state.
  if all and not commit then return results end
  local settledCost = all and cost or 0
  for j = 1, L do
    if results[j][1] == 1 then
      local limit = limits[j]
      results[j] = {limit.impl.decide(KEYS[first + j], loaded[j], limit.p, nowMs, costOf(settledCost, j), all)}
    end
  end
  return results
end

-- Whether every limit admitted cost (one number for all) at nowMs, with no wait and
-- no delay: all a compact reply leaves out is then known to the caller.
local function plainlyAdmitted(results, nowMs, cost)
  if type(cost) ~= 'number' then return false end
  for j = 1, L do
    local result = results[j]
    if result[1] ~= 1 or result[4] ~= 0 or result[5] ~= 0 or result[6] ~= nowMs or result[7] ~= cost then
      return false
    end
  end
  return true
end

-- Appends each limit's state as it is now (a cost-0 evaluation), once load(first) has
-- succeeded for the request (so reading a log afresh cannot fail).
report = function(first, nowMs)
  for j = 1, L do
    local limit = limits[j]
    local key = KEYS[first + j]
    local s = stateOf(limit, key)
    local result = {limit.impl.decide(key, s, limit.p, nowMs, 0, false)}
    for k = 1, 7 do reply[#reply + 1] = result[k] end
  end
end

for r = 1, #KEYS / L do
  local op = '1'
  local nowMs = serverNowMs
  if not plain then
    op = ARGV[cursor]
    cursor = cursor + 1
    if explicitClock then
      nowMs = tonumber(ARGV[cursor])
      cursor = cursor + 1
    end
  end
  local first = (r - 1) * L
  if op == 'd' then
    for j = 1, L do
      local key = KEYS[first + j]
      redis.call('DEL', key)
      states[key] = nil
    end
    reply[#reply + 1] = 1
  elseif op == 'r' or op == 'R' then
    local from = cursor
    cursor = from + 3 * L
    local loaded, err = load(first)
    if loaded then
      for j = 1, L do
        local at = from + 3 * (j - 1)
        local atMs = ARGV[at]
        if atMs ~= '' then
          local limit = limits[j]
          -- 'L': no instant given, the key's latest admission.
          local resetMs, cost = tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2])
          limit.impl.refund(KEYS[first + j], loaded[j], limit.p, nowMs, cost, tonumber(atMs), resetMs)
        end
      end
      reply[#reply + 1] = 1
      -- 'R': and report each limit's state as it is now (a released reservation).
      if op == 'R' then report(first, nowMs) end
    else
      reply[#reply + 1] = 0
      reply[#reply + 1] = err
    end
  elseif op == 'e' or op == 'E' then
    -- A request denied elsewhere (another slot): each limit's verdict for its cost ('E': one per
    -- limit), committing nothing; a limit that would admit reports its state as it is.
    local cost
    if op == 'E' then
      cost = costsAt(cursor)
      cursor = cursor + L
    else
      cost = tonumber(ARGV[cursor])
      cursor = cursor + 1
    end
    local loaded, err = load(first)
    if loaded then
      reply[#reply + 1] = 1
      for j = 1, L do
        local limit = limits[j]
        local key = KEYS[first + j]
        local result = {limit.impl.decide(key, loaded[j], limit.p, nowMs, costOf(cost, j), false)}
        if result[1] == 1 then result = {limit.impl.decide(key, loaded[j], limit.p, nowMs, 0, false)} end
        for k = 1, 7 do reply[#reply + 1] = result[k] end
      end
    else
      reply[#reply + 1] = 0
      reply[#reply + 1] = err
    end
  elseif op == 'z' then
    -- Each limit's state as it is (a cost-0 evaluation): part of a set decided across slots.
    local loaded, err = load(first)
    if loaded then
      reply[#reply + 1] = 1
      report(first, nowMs)
    else
      reply[#reply + 1] = 0
      reply[#reply + 1] = err
    end
  else
    -- A limit: its cost ('c': one per limit, after the op), or a peek ('p').
    local cost = 1
    if op == 'c' then
      cost = costsAt(cursor)
      cursor = cursor + L
    elseif op ~= 'p' then
      cost = tonumber(op)
    end
    local loaded, err = load(first)
    if loaded then
      local commit = op ~= 'p'
      local results = decideSet(first, loaded, nowMs, cost, commit)
      local n = #reply + 1
      if compact and commit and plainlyAdmitted(results, nowMs, cost) then
        -- Status 2: per limit only remaining and resetMs; the caller knows the rest.
        reply[n] = 2
        for j = 1, L do
          local result = results[j]
          reply[n + 1] = result[2]
          reply[n + 2] = result[3]
          n = n + 2
        end
      else
        reply[n] = 1
        for j = 1, L do
          -- Unrolled: an inner loop costs Redis about 2k instructions a limit.
          local result = results[j]
          reply[n + 1] = result[1]
          reply[n + 2] = result[2]
          reply[n + 3] = result[3]
          reply[n + 4] = result[4]
          reply[n + 5] = result[5]
          reply[n + 6] = result[6]
          reply[n + 7] = result[7]
          n = n + 7
        end
      end
    else
      reply[#reply + 1] = 0
      reply[#reply + 1] = err
    end
  end
end

for _, key in ipairs(written) do
  local s = states[key]
  if s and s.dirty then
    s.impl.save(key, s, s.p)
    s.dirty = false
  end
end
return reply
`;
