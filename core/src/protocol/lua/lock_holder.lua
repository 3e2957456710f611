-- ARGV: prefix, lock name. Who holds the lock now, for any caller (its own session need not
-- be alive). A holder whose deadline has passed on the server clock is not reported: its
-- lease ran out, so it is not the holder any more (it is reaped here when the caller's
-- evidence about time allows, as eph_get does).
-- Returns {1, owner, session, token} while held by a live session, {0} otherwise, or
-- {0, grants_from_ms} when free but no lock is granted before grants_from (a restart grace).
local epoch = current_epoch()
local function free()
  if epoch.grants_from > now() then return {0, epoch.grants_from} end
  return {0}
end
local key = P .. 'lock:' .. ARGV[2]
local held = CALL('HMGET', key, 'hold', 'session')
if not held[2] then return free() end
if session_visible(held[2]) then
  local token, _, owner = parse_hold(held[1])
  return {1, owner, held[2], token}
end
holder_blocks(held[2])
return free()
