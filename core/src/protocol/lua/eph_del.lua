-- ARGV: prefix, session id, key. Returns 1 when deleted, 0 when absent; a key of another
-- live session is refused.
local sid, name = ARGV[2], ARGV[3]
local key = P .. 'eph:' .. name
local held = CALL('HMGET', key, 'session', 'version')
local holder = held[1]
if not holder then return 0 end
if holder ~= sid then
  if holder_blocks(holder) then
    return redis.error_reply('KEY_OWNED ephemeral key ' .. name .. ' belongs to another live session')
  end
  -- Its dead owner was reaped just now, and the key went with it (one expired event).
  return 1
end
CALL('DEL', key)
CALL('ZREM', P .. 'eph-index', name)
CALL('SREM', P .. 'owned:' .. sid, 'e:' .. name)
data_changed('e', name, 'delete', tonumber(held[2]) or 1)
return 1
