-- ARGV: prefix, session id, key, value JSON. Replaces this session's value; a key owned
-- by another live session is refused.
local sid, name, value = ARGV[2], ARGV[3], ARGV[4]
local err = require_session(sid)
if err then return err end
local key = P .. 'eph:' .. name
local holder = CALL('HGET', key, 'session')
if holder and holder ~= sid and holder_blocks(holder) then
  return redis.error_reply('KEY_OWNED ephemeral key ' .. name .. ' belongs to another live session')
end
-- The version counts this key's writes since it was created (1 on create, +1 per set); a
-- key taken over from a dead session was deleted (expired) above and starts again at 1.
local version = CALL('HINCRBY', key, 'version', 1)
CALL('HSET', key, 'value', value, 'session', sid)
CALL('ZADD', P .. 'eph-index', 0, name)
CALL('SADD', P .. 'owned:' .. sid, 'e:' .. name)
data_changed('e', name, 'put', version, value)
return 1
