/**
 * The body of flowgate's script (after the definitions: the prelude, the
 * policies, limits.lua.ts and requests.lua.ts): reads each limit's policy,
 * then decides the batch's requests in order, each one all or nothing across
 * its limits, and finally writes every changed counter once. A request whose key cannot be read (a wrong type, a value flowgate
 * did not write, found at load or, for a sliding log's middle entries, while
 * deciding) gets an error of its own; it decides, fails and commits nothing
 * for the others, and nothing of its own. It expects a local ALGORITHMS (code -> policy
 * table) for the algorithms the script carries: see scripts.ts.
 */
export const MAIN_LUA = `

callKeys, callArgv = KEYS, ARGV
local cursor, compact
limits, cursor, compact = readLimits(ARGV)
if limits.malformed then
  return redis.error_reply('flowgate: malformed call arguments: ARGV[5] describes no valid limits')
end
L = limits.n
reply = {serverNowMs, 1}
-- On the server's TIME a batch of cost-1 limits (the common case) comes without per-request arguments.
local plain = #ARGV < cursor

-- The common batch (RedisStore's every limit() of a one-limit limiter on the server's TIME) takes
-- its own loop (plain.lua.ts); every other batch, this one, which reads each request's op.
-- (An explicit clock with no per-request arguments is malformed: the general loop says so per request.)
if plain and compact and L == 1 and not explicitClock then
  decidePlain(repeats or #KEYS)
else
  -- repeats: every request on KEYS[1 .. L] (see CALL_HEAD_LUA).
  for r = 1, repeats or #KEYS / L do
    local op = '1'
    local nowMs = serverNowMs
    -- A raw caller's missing or malformed arguments (see malformed in requests.lua.ts).
    local bad
    if plain then
      -- An explicit clock comes with every request: without one, no instant to decide at.
      if explicitClock then bad = malformed('no op and no clock') end
    else
      op = ARGV[cursor]
      cursor = cursor + 1
      if explicitClock then
        nowMs = tonumber(ARGV[cursor])
        cursor = cursor + 1
        if not (nowMs and nowMs % 1 == 0 and nowMs > -MAX_EXACT and nowMs < MAX_EXACT) then
          bad = malformed('the clock is not a whole number of ms within 2^53')
        end
      end
      if op == nil then bad = malformed('no op') end
    end
    local first = repeats and 0 or (r - 1) * L
    if bad then
      -- Its arguments, as far as its op says (an unknown op: the op alone).
      if op == 'r' or op == 'R' then
        cursor = cursor + 3 * L
      elseif op == 'c' or op == 'E' then
        cursor = cursor + L
      elseif op == 'e' then
        cursor = cursor + 1
      end
      reply[#reply + 1] = 0
      reply[#reply + 1] = bad
    elseif op == 'd' then
      for j = 1, L do
        local key = KEYS[first + j]
        redis.call('DEL', key)
        states[key] = nil
      end
      reply[#reply + 1] = 1
    elseif op == 'r' or op == 'R' then
      local from = cursor
      cursor = from + 3 * L
      local loaded, err
      if refundArgsOk(from) then
        loaded, err = load(first)
      else
        err = malformed('a refund takes 3 arguments per limit: atMs (a whole number, L or empty), resetMs, units')
      end
      if loaded then
        local n = #reply + 1
        reply[n] = 1
        -- 'R': and report each limit's state as it is after them (a released reservation).
        err = refundSet(first, from, nowMs, op == 'R')
        if err then reply[n] = nil end
      end
      if err then
        reply[#reply + 1] = 0
        reply[#reply + 1] = err
      end
    elseif op == 'e' or op == 'E' or op == 'z' then
      -- Part of a set decided across slots, committing nothing. 'z': each limit's state as it is
      -- (a cost-0 evaluation). 'e' / 'E': a request denied elsewhere (another slot): each limit's
      -- verdict for its cost ('E': one per limit); a limit that would admit reports its state as it is.
      local cost
      local loaded, err
      if op == 'E' then
        cost = costsAt(cursor)
        cursor = cursor + L
        if not cost then err = malformed("'E' takes a whole cost per limit") end
      elseif op == 'e' then
        cost = wholeArg(ARGV[cursor], 0)
        cursor = cursor + 1
        if not cost then err = malformed("'e' takes a whole cost") end
      end
      if not err then loaded, err = load(first) end
      if loaded then
        local n = #reply + 1
        reply[n] = 1
        err = report(first, nowMs, cost)
        if err then reply[n] = nil end
      end
      if err then
        reply[#reply + 1] = 0
        reply[#reply + 1] = err
      end
    else
      -- A limit: its cost ('c': one per limit, after the op), or a peek ('p').
      local cost = 1
      local loaded, err
      if op == 'c' then
        cost = costsAt(cursor)
        cursor = cursor + L
        if not cost then err = malformed("'c' takes a whole cost per limit") end
      elseif op ~= 'p' and op ~= '1' then
        -- ('1', a plain batch's every request, needs no C call to read.) wholeArg, inlined: a Lua
        -- call costs Redis about 500 instructions.
        cost = tonumber(op)
        if not (cost and cost % 1 == 0 and cost >= 0 and cost < MAX_EXACT) then
          err = malformed('the op is none of d r R e E z c p, nor a whole cost')
        end
      end
      if not err then loaded, err = load(first) end
      if loaded then
        local commit = op ~= 'p'
        local status = decideSet(first, nowMs, cost, op == 'c', commit, compact)
        -- The decisions are in out (requests.lua.ts): 7 numbers per limit (with a compact status,
        -- only the ones its reply carries). A limit whose log
        -- held an entry flowgate did not write decided NOT_OURS there (and nothing of the
        -- request was committed): never a compact reply, so only the full one looks for it.
        local n = #reply + 1
        if status == 2 then
          -- Per limit only remaining and resetMs; the caller knows the rest.
          reply[n] = 2
          for at = 0, 7 * L - 7, 7 do
            reply[n + 1] = out[at + 2]
            reply[n + 2] = out[at + 3]
            n = n + 2
          end
        elseif status == 3 then
          -- And delayMs: a leaky bucket's admissions behind a queue, 3 numbers instead of 7.
          reply[n] = 3
          for at = 0, 7 * L - 7, 7 do
            reply[n + 1] = out[at + 2]
            reply[n + 2] = out[at + 3]
            reply[n + 3] = out[at + 5]
            n = n + 3
          end
        else
          local start = n
          reply[n] = 1
          for at = 0, 7 * L - 7, 7 do
            local allowed = out[at + 1]
            if allowed == NOT_OURS then err = NOT_OURS end
            -- Unrolled: an inner loop costs Redis about 2k instructions a limit.
            reply[n + 1] = allowed
            reply[n + 2] = out[at + 2]
            reply[n + 3] = out[at + 3]
            reply[n + 4] = out[at + 4]
            reply[n + 5] = out[at + 5]
            reply[n + 6] = out[at + 6]
            reply[n + 7] = out[at + 7]
            n = n + 7
          end
          if err then
            -- From n, the last index written, not from #reply: a failed limit's numbers are nil,
            -- and past such a hole #reply may stop short, leaving an entry after it. (The array
            -- reply ended at the first nil anyway; a packed one would carry it.)
            for k = n, start + 2, -1 do reply[k] = nil end
            reply[start], reply[start + 1] = 0, err
          end
        end
      else
        reply[#reply + 1] = 0
        reply[#reply + 1] = err
      end
    end
  end

  -- Every changed counter once (decidePlain saves its own). A numeric loop: ipairs calls its C
  -- iterator once per key (about 400 instructions each).
  for i = 1, #written do
    local key = written[i]
    local s = states[key]
    if s and s.dirty then
      s.impl.save(key, s, s.p)
      s.dirty = false
    end
  end
end
if packed then return cmsgpack.pack(reply) end
return reply
`;
