-- ARGV: prefix, topic, consumer group, session id, count, then the clock evidence.
-- Gives this session (the consumer is named by its session id) up to `count` messages of
-- the topic's consumer group (created at the topic's start on first use): first the
-- pending messages of consumers whose session has ended, claimed at once whatever their
-- idle time (liveness is the session, never an idle clock); then new ones. A consumer
-- whose pending messages are all claimed is removed. Returns the entries {id, fields}.
local topic, group, sid, count = ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local err = require_session(sid)
if err then return err end
local key = P .. 'topic:' .. topic
-- BUSYGROUP (the group exists) is the common answer; anything else surfaces below.
redis.pcall('XGROUP', 'CREATE', key, group, '0', 'MKSTREAM')
local out = {}
for _, consumer in ipairs(CALL('XINFO', 'CONSUMERS', key, group)) do
  local name, pending = nil, 0
  for j = 1, #consumer, 2 do
    if consumer[j] == 'name' then name = consumer[j + 1] end
    if consumer[j] == 'pending' then pending = consumer[j + 1] end
  end
  if name ~= sid and not session_alive(name) then
    if CALL('ZSCORE', SESSIONS, name) then end_session(name, 'expired') end
    local ids = {}
    if pending > 0 and #out < count then
      for _, p in ipairs(CALL('XPENDING', key, group, '-', '+', count - #out, name)) do
        ids[#ids + 1] = p[1]
      end
    end
    if #ids > 0 then
      for _, entry in ipairs(CALL('XCLAIM', key, group, sid, 0, unpack(ids))) do
        if type(entry) == 'table' then out[#out + 1] = entry end
      end
    end
    if pending - #ids <= 0 then
      CALL('XGROUP', 'DELCONSUMER', key, group, name)
    end
  end
end
if #out < count then
  local new = CALL('XREADGROUP', 'GROUP', group, sid, 'COUNT', count - #out,
    'STREAMS', key, '>')
  if new then
    for _, entry in ipairs(new[1][2]) do out[#out + 1] = entry end
  end
end
return out
