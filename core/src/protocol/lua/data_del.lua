-- ARGV: prefix, path. Returns 1 when deleted, 0 when absent. A delete is a data change
-- (reap.lua data_changed) carrying the version the path had.
local key = P .. 'data:' .. ARGV[2]
local version = CALL('HGET', key, 'version')
if not version then return 0 end
CALL('DEL', key)
CALL('ZREM', P .. 'data-index', ARGV[2])
data_changed('p', ARGV[2], 'delete', tonumber(version))
return 1
