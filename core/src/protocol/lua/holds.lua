-- Lock holds, shared by lock, release, lock_abandon, lock_force_release and reaping:
-- freeing a hold, and the attempt ids that make a lock request whose reply was lost safe
-- to follow up on (see lock.lua).

-- Frees the lock `name` (hash `key`), telling waiters on the released channel when
-- `waiters` (the hash's field, as read) is above 0. The hash stays: it keeps the last
-- fencing token.
local function free_lock_hold(key, name, waiters)
  redis.call('HDEL', key, 'owner', 'session', 'count', 'attempt', 'released')
  if tonumber(waiters or '0') > 0 then
    redis.call('PUBLISH', P .. 'released', name)
  end
end

-- Frees session `sid`'s hold of lock `name` (as free_lock_hold) and takes the lock off
-- the session's owned set, so reaping the session later does not look at it.
local function free_session_hold(key, sid, name, waiters)
  free_lock_hold(key, name, waiters)
  redis.call('SREM', P .. 'owned:' .. sid, 'l:' .. name)
end

-- Whether the attempt id `id` is in `ids`, a list in the form ' a b '. Either may be
-- false (a field HMGET did not find) or nil.
local function given_up(ids, id)
  if not ids or not id or id == '' then
    return false
  end
  return string.find(ids, ' ' .. id .. ' ', 1, true) ~= nil
end

-- Records that session `sid` gives up on the attempts `new_ids` ('a b') at the lock
-- `name` (hash `key`, whose `x:<sid>` field reads `ids`): the ids stay there until the
-- session ends (its owned set lists them), so none of those requests can take the lock
-- when it reaches Redis late.
local function give_up(key, sid, name, ids, new_ids)
  redis.call('HSET', key, 'x:' .. sid, (ids or ' ') .. new_ids .. ' ')
  redis.call('SADD', P .. 'owned:' .. sid, 'x:' .. name)
end
