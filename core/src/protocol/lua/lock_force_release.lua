-- ARGV: prefix, lock name. An operator's release of a lock whoever holds it (Redisson's
-- forceUnlock), for a holder known to be stuck: the holder is not told, but the next
-- holder's token is larger (tokens only grow, handoff.lua), so a resource that checks
-- tokens refuses the old holder. The lock goes to its oldest live waiter, if any.
-- Returns {1, owner, session, token} when it was held, {0} otherwise.
local name = ARGV[2]
local key = P .. 'lock:' .. name
local held = CALL('HMGET', key, 'hold', 'session', 'waiters')
if not held[2] then
  return {0}
end
local token, _, owner = parse_hold(held[1])
free_session_hold(key, held[2], name, held[3])
return {1, owner, held[2], token}
