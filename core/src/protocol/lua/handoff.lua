-- Lock grants and the FIFO hand-off, after the liveness and reaping preludes: a freed lock
-- goes straight to its oldest live waiter, and only that waiter is told (one PUBLISH on
-- its connector's own channel), so a release costs O(1) whatever the number of waiters.

-- The next fencing token: above every token the group has granted (the `fence`
-- high-water mark, one INCR), above the epoch's floor (a fence lost or rolled back with
-- the data) and above `old`, a token an earlier version left in the lock's hash. Tokens
-- are therefore increasing across the group, so per lock too, whether or not the lock's
-- hash survived in between. `issued`: the value of an INCR this call made already (see
-- epoch_for_grant), used unless the fence moved since.
local function next_token(epoch, old, issued)
  local token = issued
  if not token or EPOCH_WRITTEN then token = CALL('INCR', P .. 'fence') end
  local floor = epoch.token_base
  if old then floor = math.max(floor, tonumber(old) + 1) end
  if token < floor then
    token = floor
    CALL('SET', P .. 'fence', fmt_int(token))
  end
  -- The fence now reads `token`, and this call found the record as checked (or made it so).
  local checked = CHECKED[P]
  if checked and checked.epoch == epoch and not EPOCH_WRITTEN then checked.fence = token end
  return token
end

-- The epoch a grant goes by, and its token when that is `issued` (nil: next_token tells),
-- `issued` being what this call's INCR of the group's fence returned and `known` the
-- caller's known epoch id and longest lease (lock.lua's argument, as sent). When `issued`
-- is one above the value this load of the library left the fence at, nobody has granted a
-- lock or started an epoch or a grace since (each of those moves the fence, reap.lua), so
-- what a grant goes by is still as checked and the record is not read: the grant path's
-- only read of it. The token is then `issued` itself, above the epoch's floor as the
-- fence already was. This needs `known` to be what the record was checked with last
-- (the same text: nothing to take apart), and so the checked epoch's id: ids are unique,
-- so the record checked is this database's (this load of the library serves every
-- database of the server, and a group of the same name in another one has a fence of its
-- own that may by chance read the same). Otherwise (and for a caller bringing something
-- new: another epoch id, a longer lease) the usual check. Either way the caller's session
-- `sid` is noted as one of the checked record's database (note_checked_session).
local function epoch_for_grant(issued, known, sid)
  local checked = CHECKED[P]
  if checked and checked.fence == issued - 1 and known == checked.known then
    EPOCH = checked.epoch
    checked.fence = issued
    if not checked.sessions[sid] then note_checked_session(EPOCH, sid) end
    return EPOCH, issued
  end
  local known_id, lease = read_known(known)
  local epoch = current_epoch(known_id, lease)
  note_checked_session(epoch, sid)
  checked = CHECKED[P]
  -- The caller knew the epoch, and current_epoch took in a longer lease (or found none):
  -- the same request needs nothing new.
  if checked and checked.epoch == epoch and known_id == checked.id
      and lease <= epoch.max_lease then
    checked.known = known
  end
  return epoch
end

-- The epoch a hand-off goes by, `issued` being what this call's INCR of the fence returned
-- and `holder` the session whose hold was just freed: as epoch_for_grant, the record is not
-- read when the fence shows nothing moved since it was checked, and the holder, if it was
-- granted a lock against the checked record, shows that record is this database's (its
-- hold is in this database, and a session lives in one only). A hand-off brings no lease
-- of its own. Also returns whether the record was read here (a restart found then has
-- ended every session from before).
local function epoch_for_hand_off(issued, holder)
  if EPOCH then return EPOCH, false end
  local checked = CHECKED[P]
  if checked and checked.fence == issued - 1 and checked.sessions[holder] then
    EPOCH = checked.epoch
    return EPOCH, false
  end
  return current_epoch(), true
end

-- Records a new hold of lock `name` (hash `key`): one hold (no `count`), taken by `attempt`.
local function grant(key, name, sid, owner, attempt, token)
  CALL('HSET', key, 'session', sid, 'hold', hold_value(fmt_int(token), attempt, owner))
  CALL('SADD', P .. 'owned:' .. sid, 'l:' .. name)
end

-- Whether the epoch refuses grants for now (a grace after a restart or data loss).
local function in_grace(epoch)
  local grants_from = epoch.grants_from
  -- 0 (no grace) is the common case: nothing to convert or read.
  return grants_from ~= 0 and grants_from > vouched() and now() < grants_from
end

-- Tells the waiter of wait id `wait` ('<listener>:<n>') `message`, on its connector's
-- channel `wake:<listener>` (core/src/transport/notices.rs).
local function wake_waiter(wait, message)
  CALL(publish_command(), P .. 'wake:' .. string.match(wait, '^(.*):'), message)
end

-- Hands the free lock `name` (hash `key`) to the oldest waiter whose session is alive,
-- dropping the entries of dead ones on the way, and tells that waiter on its listener's
-- channel `wake:<listener>` ("<wait id> <token> <sid>": a wait re-sent under a new session
-- of the same connector must not take a hold handed to the old one). With no live waiter left the queue is
-- gone and so is the `waiters` mark. During a grace nothing is granted: the waiter keeps
-- its place and is told (its wait id alone) to ask again, which tells it the grace's end.
-- `holder`: the session whose hold was just freed (epoch_for_hand_off). The token is taken
-- only once a live waiter is found (so a release with nobody to hand to burns none), and
-- before the epoch is looked at: it tells whether the record needs reading.
-- Returns the wait id granted, if any.
function hand_off(key, name, holder)
  local queue = queue_key(name)
  while true do
    local head = CALL('LPOP', queue)
    if not head then
      CALL('HDEL', key, 'waiters')
      return nil
    end
    local sid, wait, owner = string.match(head, '^(%S+) (%S+) (.*)$')
    if sid and session_alive(sid) then
      local issued = CALL('INCR', P .. 'fence')
      local epoch, read = epoch_for_hand_off(issued, holder)
      -- A restart found by that read ended every session from before, this waiter's too
      -- (then the loop goes on to the next entry, with the epoch known).
      if not read or session_alive(sid) then
        if in_grace(epoch) then
          -- Told to ask again: its lock call replies when the grace ends.
          CALL('LPUSH', queue, head)
          wake_waiter(wait, wait)
          return nil
        end
        local token = next_token(epoch, nil, issued)
        grant(key, name, sid, owner, wait, token)
        -- Alive in this database's sessions, so it lives in this database: when it frees
        -- this hold in turn, its hand-off needs no proof of the database either.
        note_checked_session(epoch, sid)
        wake_waiter(wait, wait .. ' ' .. fmt_int(token) .. ' ' .. sid)
        return wait
      end
    end
  end
end

-- A lock request finds the lock busy until `retry_at`, measured against `clock` (nil:
-- schedule_clock()): a waiter (wait id `wait`, '' for none) keeps or takes its place at
-- the queue's end. `queued`: whether an earlier request of this wait may have queued it
-- (then it is looked for first, so that it keeps its place; a first request is not), and
-- `marked` whether the lock's hash has its `waiters` mark already. Returns lock.lua's
-- reply for a busy lock: -1 - d, d being the milliseconds (at least 0) until `retry_at`
-- (an integer: Redis turns it into a reply for less than a table, and a contended
-- acquisition gets this reply at least once).
local function lock_busy(key, name, sid, owner, wait, queued, marked, retry_at, clock)
  if wait ~= '' then
    local queue, entry = queue_key(name), queue_entry(sid, wait, owner)
    if not (queued and CALL('LPOS', queue, entry)) then
      CALL('RPUSH', queue, entry)
    end
    if not marked then CALL('HSET', key, 'waiters', '1') end
  end
  return -1 - math.max(0, retry_at - (clock or schedule_clock()))
end

-- The retry time of a request that finds lock `held` (its fields) busy, the holder's
-- deadline being `deadline` (read here when not given): when ending the holder may first
-- be allowed; and the clock to measure it against (lock_busy). A deadline the agreed time
-- has not reached is returned as it stands, against the agreed time (VOUCHED, which the
-- server's clock has reached: ends_at is never earlier, the delay is never longer, and a
-- retry then asks again; a hand-off's notice normally comes first), so neither the
-- holder's lease nor the server's clock is read for a live holder.
local function holder_ends_at(held, deadline)
  deadline = deadline or deadline_of(held.session)
  local agreed = vouched()
  if agreed > 0 and deadline >= agreed then return deadline, agreed end
  return ends_at(held.session, deadline), schedule_clock()
end
