/**
 * How a call learns its limits (after the policies and ALGORITHMS, before the
 * call's own code): `readLimits(ARGV)` returns the limits table (`n` limits,
 * each its algorithm, parameters and shadow flag), where the requests' own
 * arguments start, and whether the caller takes compact replies.
 *
 * ARGV[5] is either one string describing every limit (what RedisStore
 * sends: `code,p1,p2,p3,s;` per limit, `s` for a shadow limit, else empty),
 * or the count L followed by 5 arguments per limit (the expanded form, kept
 * for callers of the raw script; it gets full replies). See prelude.lua.ts.
 *
 * In a Redis Function library the described limits are parsed once and kept
 * by their string for later calls (about 10k instructions of a lone call):
 * at most LIMIT_CACHE_MAX strings of at most LIMIT_CACHE_KEY_MAX bytes, the
 * whole table dropped when full, so a client sending ever new descriptions
 * cannot grow Redis's memory. A script (EVALSHA) starts afresh every call and
 * does not keep them.
 */
export function limitsLua(cache: boolean): string {
  return `
local limitCache = ${cache ? '{}' : 'nil'}
local limitCacheSize = 0
local LIMIT_CACHE_MAX = 64
local LIMIT_CACHE_KEY_MAX = 1024

local function limitOf(code, a, b, c, shadow)
  local impl = ALGORITHMS[code]
  return {
    impl = impl,
    -- impl.decide at hand: one table read less per limit of every request.
    decide = impl and impl.decide,
    -- A fixed window's decide changes only index, count, dirty and ttl: a set's one pass keeps just those.
    fixed = code == 'fw',
    p = {tonumber(a), tonumber(b), tonumber(c), algorithm = code},
    shadow = shadow == 's',
  }
end

-- A limit's parameter: a whole number from 1 to below 2^53.
local function positive(x)
  return x ~= nil and x % 1 == 0 and x >= 1 and x < MAX_EXACT
end

-- Marks limits whose every policy can undo a tentative commit (see decideSet's one pass in
-- requests.lua.ts), and limits a raw caller described wrong (an unknown algorithm, a parameter
-- that is not a positive whole number, none at all) as malformed: the call fails before any
-- request reads or writes anything, where a Lua error midway would leave the writes of the
-- requests before it (and no limit at all would loop without end).
local function undoable(limits)
  local all = true
  local ok = limits.n >= 1
  for j = 1, limits.n do
    local limit = limits[j]
    if not (limit.impl and positive(limit.p[1]) and positive(limit.p[2])) then
      ok = false
    elseif (limit.p.algorithm == 'tb' or limit.p.algorithm == 'lb') and not positive(limit.p[3]) then
      ok = false
    elseif not limit.impl.undoable then
      all = false
    end
  end
  limits.undoable = all
  limits.malformed = not ok
  return limits
end

local function parseLimits(described)
  local limits = {}
  local n = 0
  for code, a, b, c, shadow in string.gmatch(described, '(%w+),([^,;]*),([^,;]*),([^,;]*),([^,;]*);') do
    n = n + 1
    limits[n] = limitOf(code, a, b, c, shadow)
  end
  limits.n = n
  return undoable(limits)
end

local function readLimits(ARGV)
  local described = ARGV[5]
  local limits = limitCache and limitCache[described]
  if limits then return limits, 6, true end
  local L = tonumber(described)
  if L then
    if not positive(L) or 5 + 5 * L > #ARGV then return {n = 0, malformed = true}, 6, false end
    limits = {n = L}
    for j = 1, L do
      local at = 5 + (j - 1) * 5
      limits[j] = limitOf(ARGV[at + 1], ARGV[at + 2], ARGV[at + 3], ARGV[at + 4], ARGV[at + 5])
    end
    return undoable(limits), 6 + 5 * L, false
  end
  limits = parseLimits(described)
  if limitCache and #described <= LIMIT_CACHE_KEY_MAX then
    if limitCacheSize >= LIMIT_CACHE_MAX then
      limitCache = {}
      limitCacheSize = 0
    end
    limitCache[described] = limits
    limitCacheSize = limitCacheSize + 1
  end
  return limits, 6, true
end
`;
}
