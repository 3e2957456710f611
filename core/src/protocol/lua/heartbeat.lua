-- ARGV: prefix, session id, timeout ms, create (1 registers a new session), the epoch id
-- the caller last saw ('' when none), the longest lease (ms) the caller knows of.
-- Returns {alive, schedule_clock_ms, when_the_next_other_session_may_end_ms, reaped,
-- epoch_id, max_lease_ms, server_now_ms}.
local sid, timeout, create = ARGV[2], tonumber(ARGV[3]), ARGV[4] == '1'
local epoch = current_epoch(ARGV[5], math.max(timeout, tonumber(ARGV[6]) or 0))
local alive = 0
local deadline = CALL('ZSCORE', SESSIONS, sid)
if deadline and expired(sid, tonumber(deadline)) then
  end_session(sid, 'expired')
elseif deadline then
  CALL('ZADD', SESSIONS, now() + timeout, sid)
  alive = 1
elseif create then
  CALL('ZADD', SESSIONS, now() + timeout, sid)
  CALL('HSET', P .. 'leases', sid, timeout)
  -- The owned set lives as long as the session (entry `s`, which reaping ignores), so a
  -- lock taken and given back does not create and delete it every time.
  CALL('SADD', P .. 'owned:' .. sid, 's')
  -- Tell every connector when to reap this session should it die before renewing.
  CALL(publish_command(), P .. 'session-added', fmt_int(now() + timeout) .. ':' .. fmt_int(now()))
  alive = 1
end
local reaped = reap_expired(64)
-- Reaps are scheduled against the clock both sides agree on (the server's alone when the
-- caller has no evidence yet).
return {alive, schedule_clock(), next_deadline(sid), reaped, tonumber(epoch.id), epoch.max_lease,
  now()}
