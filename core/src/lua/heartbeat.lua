-- ARGV: prefix, session id, timeout ms, create (1 registers a new session).
-- Returns {alive, server_now_ms, next_deadline_of_others, reaped}.
local sid, timeout, create = ARGV[2], tonumber(ARGV[3]), ARGV[4] == '1'
local alive = 0
local deadline = redis.call('ZSCORE', SESSIONS, sid)
if deadline and tonumber(deadline) < now() then
  end_session(sid, 'expired')
elseif deadline then
  redis.call('ZADD', SESSIONS, now() + timeout, sid)
  alive = 1
elseif create then
  redis.call('ZADD', SESSIONS, now() + timeout, sid)
  -- Tell every connector when to reap this session should it die before renewing.
  redis.call('PUBLISH', P .. 'session-added', fmt_int(now() + timeout) .. ':' .. fmt_int(now()))
  alive = 1
end
local reaped = reap_expired(64)
return {alive, now(), next_deadline(sid), reaped}
