-- Reaping prelude, prepended after the base prelude to scripts that may end sessions.

-- The epoch record (hash gr:{g}:epoch) names one lifetime of the group's state: it is
-- replaced when the group's keys were lost (Redis restarted empty, FLUSHALL) or Redis
-- restarted at all (its run id changed: an older RDB may have rolled state back). A new
-- epoch makes stream positions from before meaningless (subscribers resync), raises the
-- fencing token floor above every token issued before (token_base = server ms * 1024), and,
-- when anyone may still believe in a lease from before, refuses new lock grants until
-- `grants_from`: one maximum lease later, when every old lease has run out on its own
-- holder's clock (see docs/SAFETY.md).
-- EPOCH (base.lua) caches the record for the rest of the call.
local function epoch_key()
  return P .. 'epoch'
end
-- Defined below; a restart ends every session from before.
local end_session

-- The server's run id and the latest it can have started (ms): uptime_in_seconds counts
-- whole seconds of the server's cached clock, so the start lies before now - uptime + 1 s.
local function server_identity()
  local info = CALL('INFO', 'server')
  local uptime = tonumber(string.match(info, 'uptime_in_seconds:(%d+)')) or 0
  return string.match(info, 'run_id:(%w+)'), now() - uptime * 1000 + 1000
end

-- This node's id on a Redis Cluster ('' elsewhere): unlike the run id it survives restarts.
local function cluster_node()
  if not sharded() then return '' end
  return CALL('CLUSTER', 'MYID')
end

-- LASTSAVE moves on every save and on every restart (a server starts "saved"), so an
-- unchanged LASTSAVE rules out a restart without asking INFO (a few microseconds). It has
-- whole-second resolution: a value from the current second is not remembered, so a restart
-- later in that same second is still caught by the run id.
local function lastsave_to_remember()
  local lastsave = CALL('LASTSAVE')
  if lastsave >= math.floor(now() / 1000) then return '0' end
  return fmt_int(lastsave)
end

-- The epoch record this load of the library has checked against the running server: its
-- `id`, `grants_from`, `max_lease` and `lastsave` as stored then, and the EPOCH made from
-- it. A library load lives no longer than the server process, so while those fields still
-- read the same, the server has not restarted since the check and the record was not
-- replaced (a new epoch has a new id): neither LASTSAVE nor the run id needs a second look.
-- Every other way the code can come to run against these keys starts with nothing checked:
-- a restart or a fail-over (another process), FUNCTION FLUSH or DELETE and the reload that
-- follows, DEBUG RELOAD and a replica's full sync (both load the library again from the
-- RDB); see core/tests/epoch_check.rs. The fields are compared as stored rather than
-- through a field of their own, so that a change made by another version of the library
-- (another library name on the same server) is seen too, and so is the `lastsave` that a
-- connector spoils after a Sentinel fail-over to have the run id compared (transport).
-- Kept per group (by key prefix), so that calls for several groups do not undo each
-- other's check; a load that has seen very many groups starts again with none. Besides the
-- record, an entry holds what lock grants need to skip reading the record (handoff.lua):
-- `fence`, the value this load last left the group's fence at, `known`, a lock request's
-- `known` argument (epoch id and lease) that asks for nothing new, and `sessions`
-- (note_checked_session).
-- As a plain script (EVAL) this is made anew by every call, so never used.
local CHECKED, CHECKED_GROUPS = {}, 0
local MAX_CHECKED_GROUPS = 1024

-- Remembers the record as stored now (`grants_from`, `max_lease` as numbers) and EPOCH.
local function remember_checked(grants_from, max_lease, lastsave)
  if not CHECKED[P] then
    if CHECKED_GROUPS >= MAX_CHECKED_GROUPS then CHECKED, CHECKED_GROUPS = {}, 0 end
    CHECKED_GROUPS = CHECKED_GROUPS + 1
  end
  CHECKED[P] = { id = EPOCH.id, grants_from = fmt_int(grants_from),
    max_lease = fmt_int(max_lease), lastsave = lastsave, epoch = EPOCH, sessions = {} }
end

-- Notes session `sid`, just granted a lock by epoch `epoch`, against the checked record
-- (its `sessions`) when that is the record `epoch` came from: the grant shows the session
-- lives in the database of that record (its caller knew the record's id, or the record was
-- read in its database), and session ids are random, so each lives in one database only.
-- A hand-off that frees a hold of one of them needs no other proof of the database
-- (handoff.lua). At most MAX_CHECKED_SESSIONS are kept over all groups (a few hundred KB of
-- the Lua heap, which Redis's GC steps walk), then they start again.
local MAX_CHECKED_SESSIONS, CHECKED_SESSIONS = 4096, 0
local function note_checked_session(epoch, sid)
  local checked = CHECKED[P]
  if not checked or checked.epoch ~= epoch or checked.sessions[sid] then return end
  if CHECKED_SESSIONS >= MAX_CHECKED_SESSIONS then
    for _, group in pairs(CHECKED) do group.sessions = {} end
    CHECKED_SESSIONS = 0
  end
  checked.sessions[sid] = true
  CHECKED_SESSIONS = CHECKED_SESSIONS + 1
end

-- Every write of what a grant goes by (a new epoch: `id`, `token_base`; a grace:
-- `grants_from`) also moves the group's fence (one INCR: tokens only have to grow, never to
-- count grants), whichever version of the library or form of call makes it, and so does
-- the `lastsave` a connector spoils after a fail-over (transport). So a grant whose own
-- INCR of the fence lands just after the value this load left it at knows that nothing it
-- goes by changed since the record was checked (handoff.lua). A longer `max_lease` and the
-- `lastsave` of a save do not move it: a caller bringing a longer lease is checked in full
-- anyway, and a save changes nothing a grant goes by.
local function epoch_written()
  CALL('INCR', P .. 'fence')
  EPOCH_WRITTEN = true
end

-- `server_start` bounds when the server started (server_identity): a lease from before the
-- start may still run until server_start + that lease.
local function start_epoch(run_id, server_start, grants_from, max_lease)
  -- On a Redis Cluster, the node that writes the record (see moved_here_whole).
  if sharded() then CALL('HSET', epoch_key(), 'node', cluster_node()) end
  epoch_written()
  local t = CALL('TIME')
  EPOCH = {
    id = t[1] .. string.format('%06d', tonumber(t[2])),
    grants_from = grants_from,
    token_base = now() * 1024,
    max_lease = max_lease,
  }
  remember_checked(grants_from, max_lease, lastsave_to_remember())
  CALL('HSET', epoch_key(), 'id', EPOCH.id, 'run_id', run_id, 'created_at', fmt_int(now()),
    'lastsave', CHECKED[P].lastsave, 'server_start', fmt_int(server_start),
    'grants_from', CHECKED[P].grants_from, 'token_base', fmt_int(EPOCH.token_base),
    'max_lease', CHECKED[P].max_lease)
end

-- No grant before every lease from before the server started has run out: a server
-- younger than the longest lease may have restarted without a group whose holders still
-- trust their leases, and a caller that never saw the group cannot tell it from a new one.
-- Asked for by a caller that never saw the group and whose deployment stated the group's
-- longest lease (known epoch '?'): without that statement a fresh server would hold back
-- every new group's first grants.
local function young_server_grace(server_start, lease, grants_from)
  if server_start + lease > now() then
    return math.max(grants_from, server_start + lease)
  end
  return grants_from
end

-- On a Redis Cluster the group's keys move to another primary when its slot is migrated
-- (MIGRATE moves each key whole; calls are refused while the slot is split, see the slot
-- guard in docs/PROTOCOL.md): the run id then changes, but nothing was lost. The record
-- names the node that wrote it. That node still a connected, healthy primary in this
-- node's view means a migration; a failed one or a replica now means this node is a
-- replica promoted in its place, which may lack its last writes: a new epoch, as after a
-- restart. Adopts this node as the record's writer when it was a migration.
local function moved_here_whole()
  if not sharded() then return false end
  local writer = CALL('HGET', epoch_key(), 'node')
  local me = cluster_node()
  if not writer or writer == '' or writer == me then return false end
  for line in string.gmatch(CALL('CLUSTER', 'NODES'), '[^\n]+') do
    -- <id> <addr> <flags> <primary> <ping-sent> <pong-recv> <config-epoch> <link-state> ...
    local id, flags, link = string.match(line, '^(%S+) %S+ (%S+) %S+ %S+ %S+ %S+ (%S+)')
    if id == writer then
      local flagged = ',' .. flags .. ','
      if link ~= 'connected' or not string.find(flagged, ',master,', 1, true)
          or string.find(flagged, 'fail', 1, true) then
        return false
      end
      local run_id = server_identity()
      CALL('HSET', epoch_key(), 'run_id', run_id, 'node', me,
        'lastsave', lastsave_to_remember())
      return true
    end
  end
  return false
end

-- The current epoch, started anew when the group's state is gone or Redis restarted.
-- `known` is the epoch id the caller last saw ('' when none, '?' when none and the caller
-- waits out leases from before the server's start), `lease` the longest lease (ms) the
-- caller knows of in the group. Read once per script.
local function current_epoch(known, lease)
  if EPOCH then return EPOCH end
  known, lease = known or '', lease or 0
  -- The common call: the record checked before in this load of the library, unchanged, and
  -- nothing for this caller to add (a loss it witnessed, a longer lease, a fresh start).
  local checked = CHECKED[P]
  if checked and (known == '' or known == checked.id) and lease <= checked.epoch.max_lease then
    local e = CALL('HMGET', epoch_key(), 'id', 'grants_from', 'max_lease', 'lastsave')
    if e[1] == checked.id and e[2] == checked.grants_from and e[3] == checked.max_lease
        and e[4] == checked.lastsave then
      EPOCH = checked.epoch
      return EPOCH
    end
  end
  local fresh = known == '?'
  if fresh then known = '' end
  -- The fields every call needs; run_id and created_at are read only when they matter.
  local e = CALL('HMGET', epoch_key(), 'id', 'grants_from', 'token_base', 'max_lease',
    'lastsave')
  if not e[1] then
    -- Nothing here: a new group, or its state was lost. A caller that knew an epoch
    -- witnessed the loss, and its peers may still hold leases from before.
    local grants_from = 0
    if known ~= '' then grants_from = now() + lease end
    local run_id, server_start = server_identity()
    if fresh then grants_from = young_server_grace(server_start, lease, grants_from) end
    start_epoch(run_id, server_start, grants_from, lease)
    return EPOCH
  end
  local stored_lease = tonumber(e[4])
  local max_lease = math.max(stored_lease, lease)
  -- '0' (no grace) is the common case: no conversion needed.
  local grants_from = e[2] == '0' and 0 or tonumber(e[2])
  local lastsave = e[5]
  if CALL('LASTSAVE') ~= tonumber(lastsave) then
    local run_id, server_start = server_identity()
    if run_id ~= CALL('HGET', epoch_key(), 'run_id') and not moved_here_whole() then
      -- Restarted with (possibly old) data: every session from before ends now (reason
      -- expired), and no grant until their leases have surely run out.
      start_epoch(run_id, server_start, math.max(grants_from, now() + max_lease), max_lease)
      for _, sid in ipairs(CALL('ZRANGE', SESSIONS, 0, -1)) do
        end_session(sid, 'expired')
      end
      return EPOCH
    end
    -- A save, not a restart.
    lastsave = lastsave_to_remember()
    CALL('HSET', epoch_key(), 'lastsave', lastsave)
  end
  if known ~= '' and known ~= e[1] then
    -- A late witness of the loss that started this epoch.
    grants_from = math.max(grants_from,
      tonumber(CALL('HGET', epoch_key(), 'created_at')) + lease)
    CALL('HSET', epoch_key(), 'grants_from', fmt_int(grants_from))
    epoch_written()
  end
  if fresh then
    -- The epoch may have been started by a caller that did not ask for this grace.
    local server_start = tonumber(CALL('HGET', epoch_key(), 'server_start')) or 0
    local later = young_server_grace(server_start, lease, grants_from)
    if later ~= grants_from then
      grants_from = later
      CALL('HSET', epoch_key(), 'grants_from', fmt_int(grants_from))
      epoch_written()
    end
  end
  if lease > stored_lease then
    CALL('HSET', epoch_key(), 'max_lease', fmt_int(lease))
  end
  EPOCH = { id = e[1], grants_from = grants_from, token_base = tonumber(e[3]),
    max_lease = max_lease }
  remember_checked(grants_from, max_lease, lastsave)
  return EPOCH
end

-- Every membership change bumps the view counter and appends one stream entry that
-- carries the new view, so a reader can tell a gap (trimmed history) from a duplicate.
-- A member that leaves takes its inbox with it (messages are for live members).
local function emit(kind, member_id, reason, record)
  local epoch = current_epoch().id
  if kind == 'left' then
    CALL('DEL', P .. 'inbox:' .. member_id)
    CALL('HDEL', P .. 'inbox-seq', member_id)
  end
  local view = CALL('INCR', P .. 'view')
  CALL('XADD', P .. 'events', 'MAXLEN', '~', '10000', '*',
    'view', view, 'epoch', epoch, 'kind', kind, 'member', member_id,
    'reason', reason, 'record', record)
end

-- Every data change (persistent or ephemeral) takes the group's next data revision and
-- appends one entry to the data events stream, with the revision as its id (`<rev>-0`), so
-- a watcher resumes from a revision with one XREAD and sees a gap as a jump. The revision
-- never goes back, also after the group's keys were lost: it is at least the epoch's
-- token floor, as lock tokens are. `space` is 'p' (persistent) or 'e' (ephemeral), `kind`
-- put | delete | expired, `version` the key's version after a put or before a delete.
local function data_changed(space, path, kind, version, value)
  local floor = current_epoch().token_base
  local counter = P .. 'data-rev'
  local rev = CALL('INCR', counter)
  if rev <= floor then
    rev = floor + 1
    CALL('SET', counter, fmt_int(rev))
  end
  local stream = P .. 'data-events'
  local fields = {'space', space, 'path', path, 'kind', kind, 'version', fmt_int(version)}
  if value then
    fields[#fields + 1] = 'value'
    fields[#fields + 1] = value
  end
  local added = redis.pcall('XADD', stream, 'MAXLEN', '~', '10000', fmt_int(rev) .. '-0',
    unpack(fields))
  if type(added) == 'table' and added.err then
    -- The counter is behind the stream (its key was deleted by hand): move past the stream.
    local last = CALL('XREVRANGE', stream, '+', '-', 'COUNT', 1)
    rev = tonumber(string.match(last[1][1], '^(%d+)')) + 1
    CALL('SET', counter, fmt_int(rev))
    CALL('XADD', stream, 'MAXLEN', '~', '10000', fmt_int(rev) .. '-0', unpack(fields))
  end
  return rev
end

-- The session id of a member record. Read by pattern, not cjson: a record a peer wrote
-- with a pathological payload must not make reaping fail for the whole group. serde_json
-- writes "session" right after "id", and a quote inside the id is escaped.
local function member_session(record)
  return string.match(record, '"session":"(%x+)"')
end

-- Ends a session: its members leave (with `reason`), its locks are freed (each handed to
-- its oldest live waiter, handoff.lua), its ephemeral keys are deleted. Idempotent.
function end_session(sid, reason)
  local owned_key = P .. 'owned:' .. sid
  for _, item in ipairs(CALL('SMEMBERS', owned_key)) do
    local kind = string.sub(item, 1, 1)
    local name = string.sub(item, 3)
    if kind == 'm' then
      local record = CALL('HGET', P .. 'members', name)
      if record and member_session(record) == sid then
        CALL('HDEL', P .. 'members', name)
        emit('left', name, reason, record)
      end
    elseif kind == 'l' then
      local key = P .. 'lock:' .. name
      local held = CALL('HMGET', key, 'session', 'waiters')
      if held[1] == sid then
        free_lock_hold(key, name, sid, held[2])
      end
    elseif kind == 'x' then
      CALL('HDEL', P .. 'lock:' .. name, 'x:' .. sid)
    elseif kind == 'e' then
      local held = CALL('HMGET', P .. 'eph:' .. name, 'session', 'version')
      if held[1] == sid then
        CALL('DEL', P .. 'eph:' .. name)
        CALL('ZREM', P .. 'eph-index', name)
        -- Closing deletes; a lease that ran out (or a restart) expires.
        data_changed('e', name, reason == 'left' and 'delete' or 'expired',
          tonumber(held[2]) or 1)
      end
    end
  end
  CALL('DEL', owned_key)
  CALL('ZREM', SESSIONS, sid)
  CALL('HDEL', P .. 'leases', sid)
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

