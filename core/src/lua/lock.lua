-- ARGV: prefix, session id, lock name, owner member id, reentrant (1/0), mode.
-- mode: 'try' (no waiting), 'join-wait' (count this caller as a waiter if the lock is
-- busy), 'waiting' (already counted: uncount on success).
-- Returns {1, token, hold_count} when acquired (or re-entered), {0, holder_deadline_ms,
-- now_ms} when another holder has it.
local sid, name, owner, reentrant, mode = ARGV[2], ARGV[3], ARGV[4], ARGV[5] == '1', ARGV[6]
local err = require_session(sid)
if err then return err end
local key = P .. 'lock:' .. name
local held = redis.call('HMGET', key, 'owner', 'session', 'count', 'token')
if held[2] then
  if session_alive(held[2]) then
    if reentrant and held[1] == owner and held[2] == sid then
      local count = redis.call('HINCRBY', key, 'count', 1)
      return {1, tonumber(held[4]), count}
    end
    if mode == 'join-wait' then
      redis.call('HINCRBY', key, 'waiters', 1)
    end
    return {0, tonumber(redis.call('ZSCORE', SESSIONS, held[2])), now()}
  end
  end_session(held[2], 'expired')
end
-- The token lives in the lock's hash, which is never deleted: it only grows.
local token = (tonumber(held[4]) or 0) + 1
redis.call('HSET', key, 'owner', owner, 'session', sid, 'count', 1, 'token', token)
if mode == 'waiting' and redis.call('HINCRBY', key, 'waiters', -1) < 0 then
  redis.call('HSET', key, 'waiters', 0)
end
redis.call('SADD', P .. 'owned:' .. sid, 'l:' .. name)
return {1, token, 1}
