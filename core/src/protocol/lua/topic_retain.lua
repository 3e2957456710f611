-- ARGV: prefix, topic, max length (0: none), max age in ms (0: none), then the clock
-- evidence. Records the topic's retention (both 0: forgets it) and applies it at once.
local topic, max_len, max_age = ARGV[2], ARGV[3], ARGV[4]
if max_len == '0' and max_age == '0' then
  CALL('HDEL', P .. 'topic-retention', topic)
else
  CALL('HSET', P .. 'topic-retention', topic, max_len .. ' ' .. max_age)
end
return trim_topic(topic, max_len .. ' ' .. max_age)
