-- ARGV: prefix, session id, member id. Returns 1 when the member left, 0 when this
-- session did not hold it.
local sid, id = ARGV[2], ARGV[3]
local record = CALL('HGET', P .. 'members', id)
if not record or member_session(record) ~= sid then
  return 0
end
CALL('HDEL', P .. 'members', id)
CALL('SREM', P .. 'owned:' .. sid, 'm:' .. id)
emit('left', id, 'left', record)
return 1
