-- ARGV: prefix, member id, then the clock evidence. Where a reader of the member's inbox
-- starts: {incarnation, counter of the first message held (0: none), last counter, last
-- stream id ('0-0': none)}. A member that is not there or is dead is an error (a reader
-- never ends sessions: the member's own heartbeat or any writer reaps it).
local id = ARGV[2]
local record = CALL('HGET', P .. 'members', id)
if not record then
  return redis.error_reply('NO_MEMBER ' .. id .. ' is not a member of the group')
end
local sid = member_session(record) or ''
if not session_alive(sid) then
  return redis.error_reply('NO_MEMBER ' .. id .. ' is dead (its lease ran out)')
end
local joined = string.match(record, '^{"joined_at":(%d+)') or '0'
local key = P .. 'inbox:' .. id
local first, last_id = 0, '0-0'
local head = CALL('XRANGE', key, '-', '+', 'COUNT', 1)
if head[1] then
  local fields = head[1][2]
  for j = 1, #fields, 2 do
    if fields[j] == 'n' then first = tonumber(fields[j + 1]) end
  end
  last_id = CALL('XREVRANGE', key, '+', '-', 'COUNT', 1)[1][1]
end
local last = tonumber(CALL('HGET', P .. 'inbox-seq', id) or '0')
return {sid .. ':' .. joined, first, last, last_id}
