/**
 * The loop for a plain batch (see `plain` in main.lua.ts: one limit, cost 1
 * per request, on the server's TIME, no per-request arguments) whose caller
 * takes compact replies: what RedisStore sends for every `limit()` of a
 * one-limit limiter without an explicit clock. A definition, after
 * requests.lua.ts (it reads the call through the same upvalues) and before
 * the call's own code.
 *
 * It decides exactly what the general loop decides for such a batch (its
 * op '1': load, decideSet's single-limit path, the compact reply) and
 * replies the same, without what only other batches need: no op to read or
 * dispatch, no load() or decideSet() call per request (a Lua call costs
 * Redis about 500 instructions), no `out` table between the decision and the
 * reply (each table write about 150), the reply filled by index rather than
 * by its length. Every value read goes through the policy's own load and is
 * checked there, as in the general loop: a key that fails gets its error,
 * and only that request fails.
 */
export const PLAIN_LUA = `
local function decidePlain(count)
  local limit = limits[1]
  local impl, decide, p = limit.impl, limit.decide, limit.p
  local loadState = impl.load
  local keys, nowMs = callKeys, serverNowMs
  -- A hot key's batch has its key once (repeats: see CALL_HEAD_LUA).
  local step = repeats and 0 or 1
  local n = #reply
  for r = 1, count do
    local key = keys[1 + step * (r - 1)]
    -- stateOf (requests.lua.ts), inlined; without s.impl and s.p, which only main.lua.ts's saving
    -- loop reads (this one saves with the limit's own).
    local s = states[key]
    local err
    if not s then
      s, err = loadState(key, p)
      if s then states[key] = s end
    end
    if not s then
      reply[n + 1], reply[n + 2] = 0, err
      n = n + 2
    else
      local allowed, remaining, resetMs, retryAfterMs, delayMs, atMs, spent = decide(key, s, p, nowMs, 1, true)
      -- The compact statuses of decideSet and main.lua.ts, tested on the values at hand.
      if allowed == 1 and retryAfterMs == 0 and atMs == nowMs and spent == 1 then
        if delayMs == 0 then
          reply[n + 1], reply[n + 2], reply[n + 3] = 2, remaining, resetMs
          n = n + 3
        else
          reply[n + 1], reply[n + 2], reply[n + 3], reply[n + 4] = 3, remaining, resetMs, delayMs
          n = n + 4
        end
      elseif allowed == NOT_OURS then
        -- A log's entry read while deciding was not flowgate's: nothing of the request was committed.
        reply[n + 1], reply[n + 2] = 0, NOT_OURS
        n = n + 2
      else
        reply[n + 1], reply[n + 2], reply[n + 3], reply[n + 4], reply[n + 5], reply[n + 6], reply[n + 7], reply[n + 8] =
          1, allowed, remaining, resetMs, retryAfterMs, delayMs, atMs, spent
        n = n + 8
      end
    end
  end
  -- Every changed key once, in order, as main.lua.ts's loop saves them (here every key written
  -- is changed: nothing is undone, no key reset), with the limit's own save and parameters.
  local save = impl.save
  for i = 1, #written do
    local key = written[i]
    save(key, states[key], p)
  end
end
`;
