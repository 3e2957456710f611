-- ARGV: prefix, lock name. A waiter that gave up uncounts itself.
local key = P .. 'lock:' .. ARGV[2]
if redis.call('HINCRBY', key, 'waiters', -1) < 0 then
  redis.call('HSET', key, 'waiters', 0)
end
return 1
