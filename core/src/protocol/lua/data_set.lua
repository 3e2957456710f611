-- ARGV: prefix, expected version ('' = any, '0' = must not exist, 'N'), then path/value
-- pairs, then the clock evidence every script gets (base.lua). All or nothing: with an
-- expected version, the first pair's path is the one compared.
-- Returns {1, version...} when written, {0, current_version} on a version mismatch.
-- Each pair written is one data change (reap.lua data_changed).
local expected = ARGV[2]
if expected ~= '' then
  local current = CALL('HGET', P .. 'data:' .. ARGV[3], 'version') or '0'
  if current ~= expected then
    return {0, tonumber(current)}
  end
end
local out = {1}
for i = 3, #ARGV - 2, 2 do
  local key = P .. 'data:' .. ARGV[i]
  local version = CALL('HINCRBY', key, 'version', 1)
  CALL('HSET', key, 'value', ARGV[i + 1])
  CALL('ZADD', P .. 'data-index', 0, ARGV[i])
  data_changed('p', ARGV[i], 'put', version, ARGV[i + 1])
  out[#out + 1] = version
end
return out
