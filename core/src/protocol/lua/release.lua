-- ARGV: prefix, session id, lock name, owner member id, all (1: free it whatever the hold
-- count, used to clean up after a lost reply; 0: remove one hold), the fencing token of the
-- hold meant ('' for whichever this owner and session has), this release's id ('' for
-- none).
-- The token makes a release that reaches Redis late (its reply lost, the lock taken again
-- since) leave the newer hold alone; the id makes a retry of a release whose first call
-- was applied take no second hold away.
-- Returns {1, remaining_holds} when released by its owner, {0} otherwise. Freeing the lock
-- hands it to the oldest live waiter (handoff.lua); with none, the lock's hash goes.
local sid, name, owner, all, token, id = ARGV[2], ARGV[3], ARGV[4], ARGV[5] == '1', ARGV[6], ARGV[7]
local key = P .. 'lock:' .. name
local held, alone = read_lock(key)
if held.owner ~= owner or held.session ~= sid or (token ~= '' and held.token ~= token) then
  return {0}
end
if id ~= '' and held.released == id then
  return {1, hold_count(held.count)}
end
-- Counts are canonical integers (HSET): none or '1' is the last hold, compared as text.
if held.count and held.count ~= '1' and not all then
  local count = tonumber(held.count) - 1
  CALL('HSET', key, 'count', fmt_int(count), 'released', id)
  return {1, count}
end
free_session_hold(key, sid, name, held.waiters, alone,
  not held.count and not held.released)
return {1, 0}
