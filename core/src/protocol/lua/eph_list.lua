-- ARGV: prefix, name prefix. Returns {key, value, key, value, ...} of live ephemeral keys.
current_epoch()
reap_expired(64)
local dead = unreaped_dead()
local lo, hi = lex_range(ARGV[2])
local out = {}
for _, name in ipairs(CALL('ZRANGEBYLEX', P .. 'eph-index', lo, hi)) do
  local held = CALL('HMGET', P .. 'eph:' .. name, 'value', 'session')
  local value = held[1]
  if value and not dead[held[2]] then
    out[#out + 1] = name
    out[#out + 1] = value
  end
end
return out
