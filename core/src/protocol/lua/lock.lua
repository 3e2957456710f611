-- ARGV: prefix, session id, lock name, owner member id, then three packed arguments
-- (every argument costs an FCALL about a microsecond of Redis's time, and the common case
-- needs none of them taken apart):
-- - how: the flags ('1' reentrant, '0' not; followed by 'q' when an earlier request of
--   this wait was sent, so it may be queued already: then it is looked for before it is
--   queued), then, after a space, the caller's wait id (none for a plain attempt that
--   does not wait); read_how;
-- - known: the epoch id the caller last saw and the longest lease (ms) it knows of,
--   space-separated (compared whole with what the checked record was last asked with,
--   epoch_for_grant; read_known);
-- - attempts: this attempt's id, then the ids of earlier attempts it gives up on, each
--   after a space (ids hold no spaces).
-- A caller that waits joins the lock's FIFO queue when the lock is busy (lockwait:<name>,
-- holds.lua); a release then hands the lock to the oldest live waiter (handoff.lua) and
-- tells it with the token. The waiter's later attempts with the same wait id (its notice
-- was lost, or it woke at the holder's deadline) find that hold and report it, or keep its
-- place in the queue.
-- Attempt ids make a request whose reply was lost safe to follow up on (see lock_abandon):
-- the hold records the attempt that took or last re-entered it (for a hand-off: the wait
-- id), and the given-up ids stay in the lock's hash under `x:<sid>` until the session
-- ends, so such a request that reaches Redis late does nothing. A follow-up that finds a
-- hold taken by an attempt it gives up on reports it as acquired instead of adding to it.
-- Returns the token alone for a new hold taken by this attempt (the common case: an
-- integer, which Redis turns into a reply for less than a table), {1, token, hold_count}
-- when re-entered or acquired otherwise (handed over, or taken by an attempt given up on),
-- -1 - d when another holder has it (d: the milliseconds until the caller may try again,
-- lock_busy), {3, grants_from_ms, now_ms} when new grants wait out a restart grace, {2}
-- when this attempt was given up before it arrived.
local sid, name, owner, how, known, attempts = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6],
  ARGV[7]
local attempt, gives_up = read_attempts(attempts)
-- Read from `how` where needed (a grant of a free lock needs neither).
local flags, wait
local key = P .. 'lock:' .. name
local held = read_lock(key)
-- The common case, a free lock with nothing recorded, needs only the caller's session
-- checked: every check on the hash is skipped.
if held == FREE_LOCK and gives_up == '' then
  local err = require_session(sid)
  if err then return err end
else
  -- The holder's deadline (for its liveness and retry time, holder_ends_at), read with
  -- the caller's own in one command; the same when the holder is the caller's session
  -- (another thread of the same connector).
  local holder_deadline
  local err
  if held.session and held.session ~= sid then
    local deadlines = CALL('ZMSCORE', SESSIONS, sid, held.session)
    err = session_error(sid, deadlines[1])
    holder_deadline = tonumber(deadlines[2])
  else
    local own = CALL('ZSCORE', SESSIONS, sid)
    err = session_error(sid, own)
    if held.session then holder_deadline = tonumber(own) end
  end
  if err then return err end
  flags, wait = read_how(how)
  local reentrant, queued = string.byte(flags) == 49, #flags > 1
  local given = held['x:' .. sid]
  if given_up(given, attempt) or given_up(given, wait) then
    return {2}
  end
  local ours = held.owner == owner and held.session == sid
  if gives_up ~= '' then
    give_up(key, sid, name, given, gives_up)
    if ours and given_up(' ' .. gives_up .. ' ', held.attempt) then
      -- Acquired by an attempt given up on: a waiter that was queued leaves the queue.
      if wait ~= '' and held.waiters then
        leave_queue(name, queue_entry(sid, wait, owner))
      end
      return {1, tonumber(held.token), hold_count(held.count)}
    end
  end
  if held.session and not alive_with(held.session, holder_deadline) then
    -- Reaping the holder frees the lock and hands it to the oldest live waiter, if any
    -- (after the epoch check, which the hand-off needs, has seen this caller's evidence).
    current_epoch(read_known(known))
    end_session(held.session, 'expired')
    held = read_lock(key)
    holder_deadline = nil
    ours = held.owner == owner and held.session == sid
  end
  if held.session then
    if ours and wait ~= '' and held.attempt == wait then
      -- Handed to this waiter. Written again, so that a WAIT the caller sends next
      -- (wait_replicas) covers the hand-off, which another connection wrote.
      CALL('HSET', key, 'hold', held.hold)
      return {1, tonumber(held.token), hold_count(held.count)}
    end
    if ours and reentrant then
      local count = hold_count(held.count) + 1
      CALL('HSET', key, 'count', fmt_int(count), 'hold', hold_value(held.token, attempt, owner))
      if wait ~= '' and held.waiters then
        leave_queue(name, queue_entry(sid, wait, owner))
      end
      return {1, tonumber(held.token), count}
    end
    return lock_busy(key, name, sid, owner, wait, queued, held.waiters,
      holder_ends_at(held, holder_deadline))
  end
end
-- The epoch is checked where a grant may follow, not for a busy lock: a restart it
-- detects ends every session from before and starts a grace, so nothing is granted. The
-- token is taken first: it tells whether the record needs reading (epoch_for_grant).
local issued = CALL('INCR', P .. 'fence')
local epoch, token = epoch_for_grant(issued, known, sid)
local grace = in_grace(epoch)
if not flags and (grace or held.waiters) then flags, wait = read_how(how) end
if grace then
  -- Redis lost or rolled back state: holders from before may still trust their leases.
  -- Told apart from a busy lock ({3, ...}), so the caller can say why and until when.
  lock_busy(key, name, sid, owner, wait, #flags > 1, held.waiters, epoch.grants_from)
  return {3, epoch.grants_from, schedule_clock()}
end
if held.waiters then
  -- Free with waiters queued (a grace just ended): the oldest live one goes first.
  if hand_off(key, name) then
    held = read_lock(key)
    if held.owner == owner and held.session == sid and wait ~= '' and held.attempt == wait then
      return {1, tonumber(held.token), 1}
    end
    return lock_busy(key, name, sid, owner, wait, #flags > 1, held.waiters,
      holder_ends_at(held))
  end
end
-- A token an earlier version left in the hash (held.token of a free lock) is a floor too.
if not token or held.token then token = next_token(epoch, held.token, issued) end
grant(key, name, sid, owner, attempt, token)
return token
