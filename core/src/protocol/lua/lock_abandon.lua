-- ARGV: prefix, session id, lock name, owner member id, the ids of the attempts given up on
-- ('a b'; a waiting caller's wait id among them). Sent after lock requests whose replies
-- were all lost (see lock.lua): none of those attempts may take the lock from now on, a
-- wait among them leaves the queue, and a hold one of them took, re-entered or was handed
-- is given back (that one hold: an earlier hold of the same owner stays). Safe to repeat:
-- the hold forgets the attempt that is given back.
-- Returns {1, remaining_holds} when a hold was given back, {0} otherwise.
local sid, name, owner, ids = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local key = P .. 'lock:' .. name
local held = CALL('HMGET', key, 'hold', 'session', 'count', 'waiters', 'x:' .. sid)
local token, attempt, holder = parse_hold(held[1])
give_up(key, sid, name, held[5], ids)
if held[4] then
  for id in string.gmatch(ids, '%S+') do
    leave_queue(name, queue_entry(sid, id, owner))
  end
end
if holder ~= owner or held[2] ~= sid or not given_up(' ' .. ids .. ' ', attempt) then
  return {0}
end
return give_back_hold(key, sid, name, token, holder, held[3], held[4])
