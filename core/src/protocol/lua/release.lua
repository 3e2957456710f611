-- ARGV: prefix, session id, lock name, owner member id, all (1: free it whatever the hold
-- count, used to clean up after a lost reply; 0: remove one hold).
-- Returns {1, remaining_holds} when released by its owner, {0} otherwise. Publishes on the
-- released channel only when someone waits, so uncontended locks cost no pub/sub traffic.
local sid, name, owner = ARGV[2], ARGV[3], ARGV[4]
local key = P .. 'lock:' .. name
local held = redis.call('HMGET', key, 'owner', 'session', 'count', 'waiters')
if held[1] ~= owner or held[2] ~= sid then
  return {0}
end
-- Counts are canonical integers (HSET/HINCRBY): '1' is the last hold, compared as text.
if held[3] ~= '1' and ARGV[5] ~= '1' then
  return {1, redis.call('HINCRBY', key, 'count', -1)}
end
redis.call('HDEL', key, 'owner', 'session', 'count')
redis.call('SREM', P .. 'owned:' .. sid, 'l:' .. name)
if held[4] and held[4] ~= '0' then
  redis.call('PUBLISH', P .. 'released', name)
end
return {1, 0}
