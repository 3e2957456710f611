-- Base prelude, prepended to every group-redis script (see docs/PROTOCOL.md).
-- KEYS[1] is always the group's sessions key (it pins the hash slot); ARGV[1] is the
-- group's key prefix "gr:{<group>}:". Every other key is derived from the prefix and
-- lives in the same slot thanks to the hash tag.
local P = ARGV[1]
local SESSIONS = KEYS[1]

-- Server time in ms, read once per script and only by scripts that need it.
local NOW_MS
local function now()
  if not NOW_MS then
    local t = redis.call('TIME')
    NOW_MS = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  return NOW_MS
end

local function fmt_int(n)
  return string.format('%d', n)
end

local function lex_range(prefix)
  if prefix == '' then
    return '-', '+'
  end
  -- 0xFF never occurs in UTF-8, so every name starting with prefix sorts below it.
  return '[' .. prefix, '[' .. prefix .. '\255'
end
