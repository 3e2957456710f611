-- ARGV: prefix, session id, key. Returns 1 when deleted, 0 when absent; a key of another
-- live session is refused.
local sid, name = ARGV[2], ARGV[3]
local key = P .. 'eph:' .. name
local holder = redis.call('HGET', key, 'session')
if not holder then return 0 end
if holder ~= sid and holder_blocks(holder) then
  return redis.error_reply('KEY_OWNED ephemeral key ' .. name .. ' belongs to another live session')
end
redis.call('DEL', key)
redis.call('ZREM', P .. 'eph-index', name)
redis.call('SREM', P .. 'owned:' .. sid, 'e:' .. name)
return 1
