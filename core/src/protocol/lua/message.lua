-- ARGV: prefix, mode ('to': one member, 'all': every live member), target (member id for
-- 'to'; sub-group or '' for 'all'), sender member id, sender session, kind ('send',
-- 'broadcast', 'request'), payload JSON, request id ('' when none), then the clock evidence.
-- Appends the message to each recipient's inbox stream with the inbox counter `n` and the
-- inbox's incarnation `epoch` (the recipient's session and join time: a member that left
-- and came back has a new inbox, and its reader resyncs). 'to' a member that is not
-- there or whose lease ran out is an error (the dead one is reaped), never a silent drop.
-- Returns how many inboxes got it.
local mode, target, from, from_sid = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local kind, payload, request = ARGV[6], ARGV[7], ARGV[8]

local function deliver(id, record, sid)
  local joined = string.match(record, '^{"joined_at":(%d+)') or '0'
  local n = CALL('HINCRBY', P .. 'inbox-seq', id, 1)
  CALL('XADD', P .. 'inbox:' .. id, 'MAXLEN', '~', '10000', '*', 'n', n,
    'epoch', sid .. ':' .. joined, 'from', from, 'session', from_sid, 'kind', kind,
    'payload', payload, 'request', request)
end

if mode == 'to' then
  local record = CALL('HGET', P .. 'members', target)
  if not record then
    return redis.error_reply('NO_MEMBER ' .. target .. ' is not a member of the group')
  end
  local sid = member_session(record) or ''
  if not session_alive(sid) then
    end_session(sid, 'expired')
    return redis.error_reply('NO_MEMBER ' .. target .. ' is dead (its lease ran out)')
  end
  deliver(target, record, sid)
  return 1
end

local count = 0
local all = CALL('HGETALL', P .. 'members')
local dead = {}
for i = 1, #all, 2 do
  local id, record = all[i], all[i + 1]
  local sid = member_session(record) or ''
  if not session_alive(sid) then
    dead[sid] = true
  else
    local wanted = target == ''
    if not wanted then
      local ok, decoded = pcall(cjson.decode, record)
      if ok and type(decoded) == 'table' and type(decoded.sub_groups) == 'table' then
        for _, g in ipairs(decoded.sub_groups) do
          if g == target then wanted = true end
        end
      end
    end
    if wanted then
      deliver(id, record, sid)
      count = count + 1
    end
  end
end
for sid in pairs(dead) do
  end_session(sid, 'expired')
end
return count
