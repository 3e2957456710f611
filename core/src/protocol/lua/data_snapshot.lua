-- ARGV: prefix, space ('p' persistent, 'e' ephemeral), name prefix. A consistent starting
-- point for a data watcher: {epoch, revision, first_rev, last_rev, name, value, version, ...}
-- where revision is the group's data revision now (at least the epoch's token floor, so it
-- never goes back), first_rev and last_rev the oldest and newest revision the data events
-- stream still holds ('0' when empty), then the live keys under the prefix, sorted.
local space, lo, hi = ARGV[2], lex_range(ARGV[3])
local epoch = current_epoch()
local dead = {}
if space == 'e' then
  reap_expired(64)
  dead = unreaped_dead()
end
local rev = math.max(tonumber(CALL('GET', P .. 'data-rev') or '0'), epoch.token_base)
local stream = P .. 'data-events'
local first, last = '0', '0'
local oldest = CALL('XRANGE', stream, '-', '+', 'COUNT', 1)
if #oldest > 0 then
  first = string.match(oldest[1][1], '^(%d+)')
  last = string.match(CALL('XREVRANGE', stream, '+', '-', 'COUNT', 1)[1][1], '^(%d+)')
end
local out = {epoch.id, fmt_int(rev), first, last}
local index, hash = P .. 'data-index', P .. 'data:'
if space == 'e' then index, hash = P .. 'eph-index', P .. 'eph:' end
for _, name in ipairs(CALL('ZRANGEBYLEX', index, lo, hi)) do
  local held = CALL('HMGET', hash .. name, 'value', 'version', 'session')
  if held[1] and not (held[3] and dead[held[3]]) then
    out[#out + 1] = name
    out[#out + 1] = held[1]
    out[#out + 1] = held[2] or '1'
  end
end
return out
