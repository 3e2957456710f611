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
local held = redis.call('HMGET', key, 'owner', 'session', 'count', 'waiters', 'token', 'released')
if held[1] ~= owner or held[2] ~= sid or (token ~= '' and held[5] ~= token) then
  return {0}
end
if id ~= '' and held[6] == id then
  return {1, tonumber(held[3])}
end
-- Counts are canonical integers (HSET): '1' is the last hold, compared as text.
if held[3] ~= '1' and not all then
  local count = tonumber(held[3]) - 1
  redis.call('HSET', key, 'count', fmt_int(count), 'released', id)
  return {1, count}
end
free_session_hold(key, sid, name, held[4])
return {1, 0}
