-- ARGV: prefix, topic, then one message (JSON text) per argument, then the clock evidence
-- every script gets (base.lua). Appends the messages in one go with explicit stream ids
-- `<index>-0`: the first index is above the topic's last one and at least the epoch's
-- token base, so indexes only grow, also after Redis lost the topic (the new epoch's base
-- is above every index given before, as for fencing tokens). Applies the topic's length
-- limit (approximate trimming). Returns {first_index, last_index}.
local topic = ARGV[2]
local key = P .. 'topic:' .. topic
local last = tonumber(CALL('HGET', P .. 'topics', topic) or '0')
local first = math.max(last + 1, current_epoch().token_base)
local index = first
local t = fmt_int(now())
for i = 3, #ARGV - 2 do
  CALL('XADD', key, fmt_int(index) .. '-0', 'm', ARGV[i], 't', t)
  index = index + 1
end
CALL('HSET', P .. 'topics', topic, fmt_int(index - 1))
local retention = CALL('HGET', P .. 'topic-retention', topic)
local max_len = tonumber(retention and string.match(retention, '^(%d+)') or '0')
if max_len > 0 then
  CALL('XTRIM', key, 'MAXLEN', '~', max_len)
end
return {first, index - 1}
