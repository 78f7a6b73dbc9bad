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

-- Reads the states of request r's limits, or returns nil and the first error.
local function load(first)
  local loaded = {}
  for j = 1, L do
    local s, err = stateOf(limits[j], callKeys[first + j])
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

-- Reads the L costs of a 'c' or 'E' op from callArgv[from].
local function costsAt(from)
  local costs = {}
  for j = 1, L do costs[j] = tonumber(callArgv[from + j - 1]) end
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
    local result = {limit.impl.decide(callKeys[first + j], s, limit.p, nowMs, costOf(cost, j), not denied)}
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
      results[j] = {limit.impl.decide(callKeys[first + j], loaded[j], limit.p, nowMs, 0, false)}
    end
  end
  return results
end

local function decideSet(first, loaded, nowMs, cost, commit)
  if L == 1 then
    local limit = limits[1]
    return {{limit.impl.decide(callKeys[first + 1], loaded[1], limit.p, nowMs, costOf(cost, 1), commit)}}
  end
  if commit and limits.undoable then
    local results = decideSetOnce(first, loaded, nowMs, cost)
    if results then return results end
  end
  local results = {}
  local all = true
  for j = 1, L do
    local limit = limits[j]
    results[j] = {limit.impl.decide(callKeys[first + j], loaded[j], limit.p, nowMs, costOf(cost, j), false)}
    if results[j][1] == 0 and not limit.shadow then all = false end
  end
  -- All or nothing: commit to every limit that admits (a shadow limit spends only what it admits),
  -- or, when an enforced limit denies, report the others' unchanged state.
  if all and not commit then return results end
  local settledCost = all and cost or 0
  for j = 1, L do
    if results[j][1] == 1 then
      local limit = limits[j]
      results[j] = {limit.impl.decide(callKeys[first + j], loaded[j], limit.p, nowMs, costOf(settledCost, j), all)}
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
local function report(first, nowMs)
  for j = 1, L do
    local limit = limits[j]
    local key = callKeys[first + j]
    local s = stateOf(limit, key)
    local result = {limit.impl.decide(key, s, limit.p, nowMs, 0, false)}
    for k = 1, 7 do reply[#reply + 1] = result[k] end
  end
end
`;
