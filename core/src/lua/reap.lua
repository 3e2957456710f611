-- Reaping prelude, prepended after the base prelude to scripts that may end sessions.

-- The epoch names one lifetime of the group's view counter: it changes only when the
-- group's keys were lost (Redis restarted without persistence, FLUSHALL), which tells
-- subscribers that stream positions from before are meaningless.
local function ensure_epoch()
  local epoch = redis.call('GET', P .. 'epoch')
  if not epoch then
    local t = redis.call('TIME')
    epoch = t[1] .. string.format('%06d', tonumber(t[2]))
    redis.call('SET', P .. 'epoch', epoch)
  end
  return epoch
end

-- Every membership change bumps the view counter and appends one stream entry that
-- carries the new view, so a reader can tell a gap (trimmed history) from a duplicate.
local function emit(kind, member_id, reason, record)
  local epoch = ensure_epoch()
  local view = redis.call('INCR', P .. 'view')
  redis.call('XADD', P .. 'events', 'MAXLEN', '~', '10000', '*',
    'view', view, 'epoch', epoch, 'kind', kind, 'member', member_id,
    'reason', reason, 'record', record)
end

local function member_session(record)
  return cjson.decode(record)['session']
end

-- Frees a lock. Its hash stays (it keeps the last fencing token); waiters, who counted
-- themselves in the hash, are told on the released channel.
local function free_lock(name)
  local key = P .. 'lock:' .. name
  redis.call('HDEL', key, 'owner', 'session', 'count')
  if tonumber(redis.call('HGET', key, 'waiters') or '0') > 0 then
    redis.call('PUBLISH', P .. 'released', name)
  end
end

-- Ends a session: its members leave (with `reason`), its locks are freed (waiters are
-- woken through the released channel), its ephemeral keys are deleted. Idempotent.
local function end_session(sid, reason)
  local owned_key = P .. 'owned:' .. sid
  for _, item in ipairs(redis.call('SMEMBERS', owned_key)) do
    local kind = string.sub(item, 1, 1)
    local name = string.sub(item, 3)
    if kind == 'm' then
      local record = redis.call('HGET', P .. 'members', name)
      if record and member_session(record) == sid then
        redis.call('HDEL', P .. 'members', name)
        emit('left', name, reason, record)
      end
    elseif kind == 'l' then
      if redis.call('HGET', P .. 'lock:' .. name, 'session') == sid then
        free_lock(name)
      end
    elseif kind == 'e' then
      if redis.call('HGET', P .. 'eph:' .. name, 'session') == sid then
        redis.call('DEL', P .. 'eph:' .. name)
        redis.call('ZREM', P .. 'eph-index', name)
      end
    end
  end
  redis.call('DEL', owned_key)
  redis.call('ZREM', SESSIONS, sid)
end

-- Reaps at most `limit` sessions whose deadline has passed; bounded so one call stays short.
local function reap_expired(limit)
  local dead = redis.call('ZRANGEBYSCORE', SESSIONS, '-inf', '(' .. fmt_int(now()), 'LIMIT', 0, limit)
  for _, sid in ipairs(dead) do
    end_session(sid, 'expired')
  end
  return #dead
end

-- The earliest deadline of any session other than `self_sid`, or -1 when there is none.
local function next_deadline(self_sid)
  local head = redis.call('ZRANGE', SESSIONS, 0, 1, 'WITHSCORES')
  for i = 1, #head, 2 do
    if head[i] ~= self_sid then
      return tonumber(head[i + 1])
    end
  end
  return -1
end

-- Clears the way for a new owner of an entity held by `holder_sid`: a live holder blocks,
-- a dead one is reaped on the spot (so takeover happens right at the deadline).
local function holder_blocks(holder_sid)
  if session_alive(holder_sid) then
    return true
  end
  end_session(holder_sid, 'expired')
  return false
end

