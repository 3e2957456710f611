-- Reading prelude (after reap.lua): batched reaping and the filters that keep what an
-- unreaped dead session owns out of every read.

-- Reaps at most `limit` sessions whose deadline has passed; bounded so one call stays short.
local function reap_expired(limit)
  local due = CALL('ZRANGEBYSCORE', SESSIONS, '-inf', '(' .. fmt_int(vouched_now()),
    'WITHSCORES', 'LIMIT', 0, limit)
  local reaped = 0
  for i = 1, #due, 2 do
    if expired(due[i], tonumber(due[i + 1])) then
      end_session(due[i], 'expired')
      reaped = reaped + 1
    end
  end
  return reaped
end

-- Sessions whose deadline has passed but were not reaped yet (reaping is batched), for
-- reads that must not return what such a session owns. Empty in the common case.
local function unreaped_dead()
  local dead = {}
  for _, sid in ipairs(CALL('ZRANGEBYSCORE', SESSIONS, '-inf', '(' .. fmt_int(now()))) do
    dead[sid] = true
  end
  return dead
end

-- The live records among `records` (member records), given `dead` from unreaped_dead().
local function live_records(records, dead)
  if next(dead) == nil then return records end
  local out = {}
  for _, record in ipairs(records) do
    if not dead[member_session(record) or ''] then out[#out + 1] = record end
  end
  return out
end

-- When the session with the earliest deadline other than `self_sid` may be ended (see
-- ends_at), or -1 when there is none.
local function next_deadline(self_sid)
  local head = CALL('ZRANGE', SESSIONS, 0, 1, 'WITHSCORES')
  for i = 1, #head, 2 do
    if head[i] ~= self_sid then
      return ends_at(head[i], tonumber(head[i + 1]))
    end
  end
  return -1
end
