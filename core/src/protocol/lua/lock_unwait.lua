-- ARGV: prefix, session id, lock name, owner member id, wait id. A waiter whose wait ended
-- (timed out, cancelled, failed) leaves the queue; if the lock was handed to it meanwhile
-- (the hand-off raced with the give-up), that hold is given back, to the next waiter.
-- Safe to repeat.
-- Returns {1, remaining_holds} when a hold was given back, {0} otherwise.
local sid, name, owner, wait = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local key = P .. 'lock:' .. name
local held = CALL('HMGET', key, 'hold', 'session', 'count', 'waiters')
local token, attempt, holder = parse_hold(held[1])
if held[4] then
  leave_queue(name, queue_entry(sid, wait, owner))
end
if holder ~= owner or held[2] ~= sid or attempt ~= wait then
  return {0}
end
return give_back_hold(key, sid, name, token, holder, held[3], held[4])
