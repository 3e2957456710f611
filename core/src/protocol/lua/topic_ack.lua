-- ARGV: prefix, topic, consumer group, session id, then indexes, then the clock evidence.
-- Acknowledges each message that is pending for this session while the session is alive:
-- a message whose consumer's session ended has been (or will be) given to another, and
-- its old consumer's ack is refused, so each message is acknowledged once, by a consumer
-- that held its lease (fenced by the session, as locks are). Returns one 1/0 per index.
local topic, group, sid = ARGV[2], ARGV[3], ARGV[4]
local key = P .. 'topic:' .. topic
local alive = session_alive(sid)
local out = {}
for i = 5, #ARGV - 2 do
  local id = ARGV[i] .. '-0'
  local acked = 0
  if alive then
    local p = CALL('XPENDING', key, group, id, id, 1)
    if p[1] and p[1][2] == sid then
      acked = CALL('XACK', key, group, id)
    end
  end
  out[#out + 1] = acked
end
return out
