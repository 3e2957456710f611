-- ARGV: prefix, topic, then the clock evidence. Returns {first_index, last_index, length}:
-- the first index still held (0 when the topic holds nothing), the last index given (0
-- when none), how many messages it holds.
local topic = ARGV[2]
local key = P .. 'topic:' .. topic
local head = CALL('XRANGE', key, '-', '+', 'COUNT', 1)
local first = 0
if head[1] then first = tonumber(string.match(head[1][1], '^(%d+)')) end
local last = tonumber(CALL('HGET', P .. 'topics', topic) or '0')
return {first, last, CALL('XLEN', key)}
