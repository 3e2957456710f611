-- ARGV: prefix, path prefix. Returns {path, value, version, ...}.
local lo, hi = lex_range(ARGV[2])
local out = {}
for _, path in ipairs(CALL('ZRANGEBYLEX', P .. 'data-index', lo, hi)) do
  local held = CALL('HMGET', P .. 'data:' .. path, 'value', 'version')
  if held[1] then
    out[#out + 1] = path
    out[#out + 1] = held[1]
    out[#out + 1] = held[2]
  end
end
return out
