-- ARGV: prefix, session id, lock name, owner member id, the fencing token of the hold
-- meant ('' for whichever this owner and session has), this release's id ('' for none;
-- '*' for none and to free the lock whatever the hold count, used to clean up after a
-- lost reply; otherwise one hold is removed).
-- The token makes a release that reaches Redis late (its reply lost, the lock taken again
-- since) leave the newer hold alone; the id makes a retry of a release whose first call
-- was applied take no second hold away.
-- Returns the holds that remain (0 when the lock was freed) when released by its owner, -1
-- otherwise: an integer, which Redis turns into a reply for less than a table. Freeing
-- the lock hands it to the oldest live waiter (handoff.lua); with none, the lock's hash
-- goes.
local sid, name, owner, token = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local key = P .. 'lock:' .. name
local flat = CALL('HGETALL', key)
-- The common case: the hash holds one hold taken once (its fields as grant writes them, in
-- that order) and nothing else, read in place (no table of its fields).
local plain = flat[5] == nil and flat[1] == 'session' and flat[3] == 'hold'
local held, alone, held_session, held_token, held_attempt, held_owner
if plain then
  held_session = flat[2]
  held_token, held_attempt, held_owner = parse_hold(flat[4])
else
  held, alone = lock_fields(flat)
  held_session, held_token, held_owner = held.session, held.token, held.owner
end
if held_owner ~= owner or held_session ~= sid or (token ~= '' and held_token ~= token) then
  return -1
end
if plain then
  -- Its last hold, no release recorded, nobody waiting: the hash goes whole.
  free_session_hold(key, sid, name, false, true, true)
  return 0
end
local id = ARGV[6]
local all = id == '*'
if all then id = '' end
if id ~= '' and held.released == id then
  return hold_count(held.count)
end
-- Counts are canonical integers (HSET): none or '1' is the last hold, compared as text.
if held.count and held.count ~= '1' and not all then
  local count = tonumber(held.count) - 1
  CALL('HSET', key, 'count', fmt_int(count), 'released', id)
  return count
end
free_session_hold(key, sid, name, held.waiters, alone,
  not held.count and not held.released)
return 0
