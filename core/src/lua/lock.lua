-- ARGV: prefix, session id, lock name, owner member id, reentrant (1/0).
-- Returns {1, token, hold_count} when acquired (or re-entered), {0, holder_deadline_ms, now_ms}
-- and the server time when another holder has it.
local sid, name, owner, reentrant = ARGV[2], ARGV[3], ARGV[4], ARGV[5] == '1'
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
    return {0, tonumber(redis.call('ZSCORE', SESSIONS, held[2])), NOW}
  end
  end_session(held[2], 'expired')
end
local token = redis.call('HINCRBY', P .. 'fence', name, 1)
redis.call('HSET', key, 'owner', owner, 'session', sid, 'count', 1, 'token', token)
redis.call('SADD', P .. 'owned:' .. sid, 'l:' .. name)
return {1, token, 1}
