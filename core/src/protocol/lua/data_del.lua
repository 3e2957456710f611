-- ARGV: prefix, path. Returns 1 when deleted, 0 when absent.
local removed = redis.call('DEL', P .. 'data:' .. ARGV[2])
redis.call('ZREM', P .. 'data-index', ARGV[2])
return removed
