-- Liveness prelude (after base.lua): when a session counts as alive, from the server's
-- clock and the caller's evidence about time.

-- The caller's evidence about time (the last two ARGV of every call, read by begin() in
-- base.lua), so that a step of the Redis host's wall clock never ends a live session:
-- VOUCHED is a server time that the caller's own monotonic clock vouches has been reached
-- (0: no evidence yet), TRUSTED_SINCE the server time since which the caller has seen the
-- server clock run without a step.

-- The server time that the server's clock and the caller's evidence both have reached.
local function vouched_now()
  return math.min(now(), vouched())
end

-- The clock to schedule retries against: the agreed one, or the server's alone while the
-- caller has no evidence yet (it cannot end sessions then anyway).
local function schedule_clock()
  if vouched() > 0 then return vouched_now() end
  return now()
end

-- A session's lease (ms), recorded when it registered.
local function lease_of(sid)
  local lease = CALL('HGET', P .. 'leases', sid)
    or CALL('HGET', P .. 'epoch', 'max_lease')
  return tonumber(lease) or 86400000
end

-- When a session with deadline `deadline` may be ended: at its deadline if the caller saw
-- the clock run step-free since the session's last renewal, otherwise only once the caller
-- has watched a whole lease pass step-free (the session had that long to renew).
local function ends_at(sid, deadline)
  local lease = lease_of(sid)
  if deadline - lease >= trusted_since() then return deadline end
  return math.max(deadline, trusted_since() + lease)
end

-- Whether a session with deadline `deadline` has ended, on both clocks.
local function expired(sid, deadline)
  -- The agreed time is never past VOUCHED, so a deadline not before it has not passed and
  -- the server's clock need not be read (the common case: a live session).
  if deadline >= vouched() then return false end
  local at = vouched_now()
  return deadline < at and ends_at(sid, deadline) < at
end

-- The deadline of session `sid` (a number), nil when it has none.
local function deadline_of(sid)
  return tonumber(CALL('ZSCORE', SESSIONS, sid))
end

-- Whether session `sid`, whose deadline_of read `deadline`, is alive.
local function alive_with(sid, deadline)
  return deadline ~= nil and not expired(sid, deadline)
end

-- A session is alive until it has expired (see above).
local function session_alive(sid)
  return alive_with(sid, deadline_of(sid))
end

-- Whether a session's data is shown to readers: until its deadline on the server clock.
local function session_visible(sid)
  local deadline = CALL('ZSCORE', SESSIONS, sid)
  return deadline ~= false and tonumber(deadline) >= now()
end

-- An error reply unless session `sid`, whose deadline is `deadline` (a ZSCORE reply as
-- read: false when it has none), is alive (session_alive, with its common case, a
-- deadline not before VOUCHED, decided here: this runs first in most calls). That case is
-- told from the text of both when they have as many characters and the deadline no
-- decimal point: Redis prints a whole-number score with its digits alone, the caller
-- sends VOUCHED as digits, and comparing them spares converting both (a lock and its
-- release paid more for that than for anything else in the check). Any other text is
-- converted and compared as numbers.
local function session_error(sid, deadline)
  if deadline then
    local sent = vouched_arg()
    if #deadline == #sent and deadline >= sent and not string.find(deadline, '.', 1, true) then
      return nil
    end
    deadline = tonumber(deadline)
    if deadline >= vouched() or not expired(sid, deadline) then return nil end
  end
  return redis.error_reply('SESSION_EXPIRED session ' .. sid .. ' is not alive')
end

-- An error reply unless session `sid` is alive (session_error).
local function require_session(sid)
  return session_error(sid, CALL('ZSCORE', SESSIONS, sid))
end
