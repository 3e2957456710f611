-- ARGV: prefix, session id, member id, member record JSON (an object without joined_at).
-- Joins, or updates the record when this session already holds the member id.
-- Returns {kind, joined_at} where kind is 'joined', 'updated' or 'unchanged', or
-- {'wait', ms, lease} when the id is held by a session past its deadline on the server clock
-- that this caller may not end yet (it has not watched the clock run step-free for long
-- enough, see ends_at in liveness.lua): ask again in `ms`; `lease` is that session's lease.
local sid, id, body = ARGV[2], ARGV[3], ARGV[4]
local err = require_session(sid)
if err then return err end
local members = P .. 'members'
local existing = CALL('HGET', members, id)
if existing then
  local old_session = member_session(existing) or ''
  if old_session ~= sid then
    if holder_blocks(old_session) then
      if not session_visible(old_session) then
        local deadline = tonumber(CALL('ZSCORE', SESSIONS, old_session))
        local wait = math.max(ends_at(old_session, deadline) - schedule_clock(), 1)
        return {'wait', fmt_int(wait), fmt_int(lease_of(old_session))}
      end
      return redis.error_reply('MEMBER_EXISTS member ' .. id .. ' is held by another live session')
    end
    existing = nil
  else
    local joined_at = string.match(existing, '^{"joined_at":(%d+)') or fmt_int(now())
    local record = '{"joined_at":' .. joined_at .. ',' .. string.sub(body, 2)
    if record == existing then
      return {'unchanged', joined_at}
    end
    CALL('HSET', members, id, record)
    emit('updated', id, '', record)
    return {'updated', joined_at}
  end
end
local record = '{"joined_at":' .. fmt_int(now()) .. ',' .. string.sub(body, 2)
CALL('HSET', members, id, record)
CALL('SADD', P .. 'owned:' .. sid, 'm:' .. id)
emit('joined', id, '', record)
return {'joined', fmt_int(now())}
