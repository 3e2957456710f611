-- Lock holds, shared by lock, release, lock_abandon, lock_unwait, lock_force_release and
-- reaping: freeing a hold (which hands the lock to the oldest live waiter, handoff.lua),
-- and the attempt ids that make a lock request whose reply was lost safe to follow up on
-- (see lock.lua).

-- Defined in handoff.lua (after the liveness and reaping preludes it needs).
local hand_off

-- The fields of a hold: `session`, `hold` ("<token> <attempt> <owner>", one field for the
-- three: each field of a hash costs Redis an insert into it at every grant), `count` once
-- re-entered, `released`. Deleting them from a lock's hash deletes the hash when nothing
-- else is in it: a free lock with no waiters and no given-up attempts costs no memory.
-- Tokens do not need the hash: they come from the group's `fence` (next_token).

-- The value of a hold's `hold` field. The owner goes last: a member id may hold spaces,
-- an attempt id ('' once given back) and a token do not.
local function hold_value(token, attempt, owner)
  return token .. ' ' .. attempt .. ' ' .. owner
end

-- A `hold` field's token, attempt and owner (strings; nothing for no field).
local function parse_hold(value)
  if not value then return nil end
  return string.match(value, '^(%d+) (%S*) (.*)$')
end

-- The number of holds a lock's hash records: its `count` field, written only once the hold
-- is re-entered (a hold taken once has none: one field fewer for every grant to write).
local function hold_count(count)
  return count and tonumber(count) or 1
end

-- A lock request's flags and wait id ('' for none), from its `how` argument (lock.lua).
local function read_how(how)
  local flags, wait = string.match(how, '^(%S+) ?(%S*)$')
  return flags or '0', wait or ''
end

-- The epoch id and the longest lease (a number) a lock request knows of, from its `known`
-- argument (lock.lua).
local function read_known(known)
  local id, lease = string.match(known, '^(%S*) (%S*)$')
  return id or '', tonumber(lease) or 0
end

-- A lock request's attempt id and the ids it gives up on ('' for none; 'a b'), from its
-- `attempts` argument (lock.lua): one plain search when it gives up on none.
local function read_attempts(attempts)
  local space = string.find(attempts, ' ', 1, true)
  if not space then return attempts, '' end
  return string.sub(attempts, 1, space - 1), string.sub(attempts, space + 1)
end

-- What read_lock returns for a lock whose hash does not exist (never written to).
local FREE_LOCK = {}

-- A lock's hash as a table, from its HGETALL reply `flat` (one element per field and
-- value, where HMGET would send every field name asked for, and a free lock costs an empty
-- reply), with the `hold` field read into `token`, `attempt` and `owner`, and whether the
-- hash holds anything beside a hold (`waiters`, `x:<sid>`). A field not there reads false
-- or nil. The table is made with all those keys in it, so that filling it does not grow
-- it again and again (a release pays for every step of that).
local function lock_fields(flat)
  if flat[1] == nil then return FREE_LOCK, true end
  local fields = { session = false, hold = false, count = false, released = false,
    waiters = false, token = false, attempt = false, owner = false }
  local alone = true
  for i = 1, #flat, 2 do
    local field = flat[i]
    if fields[field] == nil or field == 'waiters' then alone = false end
    fields[field] = flat[i + 1]
  end
  if fields.hold then
    fields.token, fields.attempt, fields.owner = parse_hold(fields.hold)
  end
  return fields, alone
end

-- Lock hash `key` as a table (lock_fields).
local function read_lock(key)
  return lock_fields(CALL('HGETALL', key))
end

-- Frees the lock `name` (hash `key`). `waiters` (the hash's field, as read) is set while
-- the lock may have a wait queue: then the lock goes to the oldest live waiter at once,
-- its hold written over the old one's fields (`plain`: the old hold is known to have no
-- `count` or `released` field, so nothing is left to delete). `alone`: the hash is known
-- to hold nothing but the hold, so it can go whole. `holder`: the session whose hold it
-- is (hand_off).
local function free_lock_hold(key, name, holder, waiters, alone, plain)
  if waiters and hand_off(key, name, holder) then
    if not plain then CALL('HDEL', key, 'count', 'released') end
    return
  end
  if alone then
    CALL('DEL', key)
  else
    CALL('HDEL', key, 'session', 'hold', 'count', 'released')
  end
end

-- Frees session `sid`'s hold of lock `name` (as free_lock_hold) and takes the lock off
-- the session's owned set, so reaping the session later does not look at it.
local function free_session_hold(key, sid, name, waiters, alone, plain)
  CALL('SREM', P .. 'owned:' .. sid, 'l:' .. name)
  free_lock_hold(key, name, sid, waiters, alone, plain)
end

-- Gives back one hold of session `sid`'s on lock `name` (hash `key`, whose `hold` field
-- reads `token` and `owner`, `count` and `waiters` as read), taken by an attempt that was
-- given up on: with holds left, one fewer and no attempt recorded (so a repeat does
-- nothing); else the lock is freed and handed over. Reply of lock_abandon and lock_unwait.
local function give_back_hold(key, sid, name, token, owner, count, waiters)
  local holds = hold_count(count)
  if holds > 1 then
    CALL('HSET', key, 'count', fmt_int(holds - 1), 'hold', hold_value(token, '', owner))
    return {1, holds - 1}
  end
  free_session_hold(key, sid, name, waiters)
  return {1, 0}
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
  CALL('HSET', key, 'x:' .. sid, (ids or ' ') .. new_ids .. ' ')
  CALL('SADD', P .. 'owned:' .. sid, 'x:' .. name)
end

-- The wait queue of lock `name`: a list of waiter entries (queue_entry), oldest first.
-- A list, not a sorted set: joining (RPUSH) and leaving at the head (LPOP) do not scan
-- the queue, where a small sorted set (a listpack, up to 128 entries by default) is
-- scanned whole by every ZADD.
local function queue_key(name)
  return P .. 'lockwait:' .. name
end

-- Takes waiter `entry` out of lock `name`'s queue (a wait that ended, or that took the
-- lock another way): a scan of the queue, on paths that are not the hand-off's.
local function leave_queue(name, entry)
  CALL('LREM', queue_key(name), 0, entry)
end

-- A waiter's entry: its session, its wait id ('<listener>:<n>', see handoff.lua) and the
-- member id it waits as (last: a member id may contain spaces).
local function queue_entry(sid, wait, owner)
  return sid .. ' ' .. wait .. ' ' .. owner
end
