-- ARGV: prefix, session id, lock name, owner member id, reentrant (1/0), mode, the epoch
-- id the caller last saw, the longest lease (ms) it knows of.
-- mode: 'try' (no waiting), 'join-wait' (count this caller as a waiter if the lock is
-- busy), 'waiting' (already counted: uncount on success), 'reconcile' (an earlier attempt
-- may have been applied without its reply arriving: a hold of this owner and session is
-- reported as acquired, not added to).
-- Returns {1, token, hold_count} when acquired (or re-entered), {0, retry_at_ms, now_ms}
-- when another holder has it or new grants wait out a restart grace.
local sid, name, owner, reentrant, mode = ARGV[2], ARGV[3], ARGV[4], ARGV[5] == '1', ARGV[6]
local epoch = current_epoch(ARGV[7], tonumber(ARGV[8]) or 0)
local err = require_session(sid)
if err then return err end
local key = P .. 'lock:' .. name
local held = redis.call('HMGET', key, 'owner', 'session', 'count', 'token')
if held[2] then
  if session_alive(held[2]) then
    if held[1] == owner and held[2] == sid then
      if mode == 'reconcile' then
        return {1, tonumber(held[4]), tonumber(held[3])}
      end
      if reentrant then
        local count = redis.call('HINCRBY', key, 'count', 1)
        return {1, tonumber(held[4]), count}
      end
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
  return {0, epoch.grants_from, now()}
end
-- The lock's hash keeps the last token; the epoch's floor covers a hash that was lost.
local token = math.max((tonumber(held[4]) or 0) + 1, epoch.token_base)
redis.call('HSET', key, 'owner', owner, 'session', sid, 'count', 1, 'token', fmt_int(token))
if mode == 'waiting' and redis.call('HINCRBY', key, 'waiters', -1) < 0 then
  redis.call('HSET', key, 'waiters', 0)
end
redis.call('SADD', P .. 'owned:' .. sid, 'l:' .. name)
return {1, token, 1}
