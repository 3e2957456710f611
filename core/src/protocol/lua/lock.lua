-- ARGV: prefix, session id, lock name, owner member id, reentrant (1/0), the epoch id the
-- caller last saw, the longest lease (ms) it knows of, this attempt's id, the ids of
-- earlier attempts it gives up on (space-separated, '' for none), the caller's wait id
-- ('' for a plain attempt that does not wait).
-- A caller that waits joins the lock's FIFO queue when the lock is busy (lockq:<name>,
-- holds.lua); a release then hands the lock to the oldest live waiter (handoff.lua) and
-- tells it with the token. The waiter's later attempts with the same wait id (its notice
-- was lost, or it woke at the holder's deadline) find that hold and report it, or keep its
-- place in the queue.
-- Attempt ids make a request whose reply was lost safe to follow up on (see lock_abandon):
-- the hold records the attempt that took or last re-entered it (for a hand-off: the wait
-- id), and the given-up ids stay in the lock's hash under `x:<sid>` until the session
-- ends, so such a request that reaches Redis late does nothing. A follow-up that finds a
-- hold taken by an attempt it gives up on reports it as acquired instead of adding to it.
-- Returns {1, token, hold_count} when acquired (or re-entered), {0, retry_at_ms, now_ms}
-- when another holder has it or new grants wait out a restart grace, {2} when this attempt
-- was given up before it arrived.
local sid, name, owner, reentrant = ARGV[2], ARGV[3], ARGV[4], ARGV[5] == '1'
local attempt, gives_up, wait = ARGV[8], ARGV[9], ARGV[10]
local epoch = current_epoch(ARGV[6], tonumber(ARGV[7]) or 0)
local err = require_session(sid)
if err then return err end
local key = P .. 'lock:' .. name
local function read()
  return redis.call('HMGET', key, 'owner', 'session', 'count', 'token', 'attempt', 'x:' .. sid,
    'waiters')
end
local held = read()
if given_up(held[6], attempt) or given_up(held[6], wait) then
  return {2}
end
local ours = held[1] == owner and held[2] == sid
-- Acquired without a hand-off: a waiter that was queued leaves the queue.
local function acquired(token, count)
  if wait ~= '' and held[7] then
    redis.call('ZREM', queue_key(name), queue_entry(sid, wait, owner))
  end
  return {1, token, count}
end
if gives_up ~= '' then
  give_up(key, sid, name, held[6], gives_up)
  if ours and given_up(' ' .. gives_up .. ' ', held[5]) then
    return acquired(tonumber(held[4]), tonumber(held[3]))
  end
end
-- Busy: a waiter keeps (or takes) its place in the queue.
local function busy(retry_at)
  if wait ~= '' then
    local seq = redis.call('HINCRBY', key, 'waiters', 1)
    redis.call('ZADD', queue_key(name), 'NX', seq, queue_entry(sid, wait, owner))
  end
  return {0, retry_at, schedule_clock()}
end
if held[2] and not session_alive(held[2]) then
  -- Reaping the holder frees the lock and hands it to the oldest live waiter, if any.
  end_session(held[2], 'expired')
  held = read()
  ours = held[1] == owner and held[2] == sid
end
if held[2] then
  if ours and wait ~= '' and held[5] == wait then
    -- Handed to this waiter.
    return {1, tonumber(held[4]), tonumber(held[3])}
  end
  if ours and reentrant then
    local count = tonumber(held[3]) + 1
    redis.call('HSET', key, 'count', fmt_int(count), 'attempt', attempt)
    return acquired(tonumber(held[4]), count)
  end
  return busy(ends_at(held[2], tonumber(redis.call('ZSCORE', SESSIONS, held[2]))))
end
if in_grace(epoch) then
  -- Redis lost or rolled back state: holders from before may still trust their leases.
  return busy(epoch.grants_from)
end
if held[7] then
  -- Free with waiters queued (a grace just ended): the oldest live one goes first.
  if hand_off(key, name) then
    held = read()
    if held[1] == owner and held[2] == sid and wait ~= '' and held[5] == wait then
      return {1, tonumber(held[4]), 1}
    end
    return busy(ends_at(held[2], tonumber(redis.call('ZSCORE', SESSIONS, held[2]))))
  end
end
local token = next_token(epoch, held[4])
grant(key, name, sid, owner, attempt, token)
return {1, token, 1}
