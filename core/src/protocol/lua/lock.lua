-- ARGV: prefix, session id, lock name, owner member id, reentrant (1/0), mode, the epoch
-- id the caller last saw, the longest lease (ms) it knows of, this attempt's id, the ids of
-- earlier attempts it gives up on (space-separated, '' for none).
-- mode: 'try' (no waiting), 'join-wait' (count this caller as a waiter if the lock is
-- busy), 'waiting' (already counted: uncount on success).
-- Attempt ids make a request whose reply was lost safe to follow up on (see lock_abandon):
-- the hold records the attempt that took or last re-entered it, and the given-up ids stay
-- in the lock's hash under `x:<sid>` until the session ends, so such a request that reaches
-- Redis late does nothing. A follow-up that finds a hold taken by an attempt it gives up on
-- reports it as acquired instead of adding to it.
-- Returns {1, token, hold_count} when acquired (or re-entered), {0, retry_at_ms, now_ms}
-- when another holder has it, {3, grants_from_ms, now_ms} when new grants wait out a
-- restart grace, {2} when this attempt was given up before it arrived.
local sid, name, owner, reentrant, mode = ARGV[2], ARGV[3], ARGV[4], ARGV[5] == '1', ARGV[6]
local attempt, gives_up = ARGV[9], ARGV[10]
local epoch = current_epoch(ARGV[7], tonumber(ARGV[8]) or 0)
local err = require_session(sid)
if err then return err end
local key = P .. 'lock:' .. name
local held = redis.call('HMGET', key, 'owner', 'session', 'count', 'token', 'attempt', 'x:' .. sid)
if given_up(held[6], attempt) then
  return {2}
end
local ours = held[1] == owner and held[2] == sid
if gives_up ~= '' then
  give_up(key, sid, name, held[6], gives_up)
  if ours and given_up(' ' .. gives_up .. ' ', held[5]) then
    return {1, tonumber(held[4]), tonumber(held[3])}
  end
end
if held[2] then
  if session_alive(held[2]) then
    if ours and reentrant then
      local count = tonumber(held[3]) + 1
      redis.call('HSET', key, 'count', fmt_int(count), 'attempt', attempt)
      return {1, tonumber(held[4]), count}
    end
    if mode == 'join-wait' then
      redis.call('HINCRBY', key, 'waiters', 1)
    end
    return {0, ends_at(held[2], tonumber(redis.call('ZSCORE', SESSIONS, held[2]))), schedule_clock()}
  end
  end_session(held[2], 'expired')
end
if epoch.grants_from > vouched() and now() < epoch.grants_from then
  -- Redis lost or rolled back state: holders from before may still trust their leases.
  if mode == 'join-wait' then
    redis.call('HINCRBY', key, 'waiters', 1)
  end
  return {3, epoch.grants_from, now()}
end
-- The lock's hash keeps the last token; the epoch's floor covers a hash that was lost.
local token = math.max((tonumber(held[4]) or 0) + 1, epoch.token_base)
redis.call('HSET', key, 'owner', owner, 'session', sid, 'count', 1, 'token', fmt_int(token),
  'attempt', attempt)
if mode == 'waiting' and redis.call('HINCRBY', key, 'waiters', -1) < 0 then
  redis.call('HSET', key, 'waiters', 0)
end
redis.call('SADD', P .. 'owned:' .. sid, 'l:' .. name)
return {1, token, 1}
