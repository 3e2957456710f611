-- ARGV: prefix, key. Returns the value, or nil when absent or its owner's lease ran out.
current_epoch()
local key = P .. 'eph:' .. ARGV[2]
local held = CALL('HMGET', key, 'value', 'session')
if not held[1] then return false end
if session_visible(held[2]) then return held[1] end
holder_blocks(held[2])
return false
