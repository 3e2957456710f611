-- ARGV: prefix, name prefix. Returns {key, value, key, value, ...} of live ephemeral keys.
reap_expired(64)
local lo, hi = lex_range(ARGV[2])
local out = {}
for _, name in ipairs(redis.call('ZRANGEBYLEX', P .. 'eph-index', lo, hi)) do
  local value = redis.call('HGET', P .. 'eph:' .. name, 'value')
  if value then
    out[#out + 1] = name
    out[#out + 1] = value
  end
end
return out
