-- ARGV: prefix, session id, lock name, owner member id.
-- Returns {1, remaining_holds} when released by its owner, {0} otherwise.
local sid, name, owner = ARGV[2], ARGV[3], ARGV[4]
local key = P .. 'lock:' .. name
local held = redis.call('HMGET', key, 'owner', 'session')
if held[1] ~= owner or held[2] ~= sid then
  return {0}
end
local remaining = redis.call('HINCRBY', key, 'count', -1)
if remaining <= 0 then
  free_lock(name)
  redis.call('SREM', P .. 'owned:' .. sid, 'l:' .. name)
  remaining = 0
end
return {1, remaining}
