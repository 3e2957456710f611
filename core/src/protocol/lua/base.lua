-- Base prelude, first in the group-redis function library and in every script (see
-- docs/PROTOCOL.md). KEYS[1] is always the group's sessions key (it pins the hash slot);
-- ARGV[1] is the group's key prefix "gr:{<group>}:". Every other key is derived from the
-- prefix and lives in the same slot thanks to the hash tag. The last two ARGV are the
-- caller's evidence about time (liveness.lua).
--
-- The state of one call lives in these locals, set by begin() when the call starts: in the
-- function library the helpers below are defined once, when the library is loaded, and
-- shared by every call (Redis runs one call at a time).
local KEYS, ARGV, P, SESSIONS
-- Server time in ms, read once per call and only by calls that need it.
local NOW_MS
-- The caller's evidence about time (see liveness.lua), converted from the last two ARGV on
-- first use (vouched(), trusted_since()), since many calls never need it.
local VOUCHED, TRUSTED_SINCE
-- The group's epoch record, read once per call (see reap.lua), and whether this call wrote
-- it (each write also moves the group's fence, handoff.lua).
local EPOCH, EPOCH_WRITTEN
-- redis.call, looked up once per call rather than at each of the call's commands (it is
-- not there yet while the library loads, so it cannot be kept from then).
local CALL

-- Every call starts here, so it sets only what every call needs: the rest is worked out
-- when asked for (a lock and its release each pay for every statement here).
local function begin(keys, argv)
  KEYS, ARGV, CALL, P, SESSIONS = keys, argv, redis.call, argv[1], keys[1]
  NOW_MS, EPOCH, EPOCH_WRITTEN, VOUCHED, TRUSTED_SINCE = nil, nil, false, nil, nil
end

-- On a Redis Cluster every call also declares the slot guard key (KEYS[2], never written:
-- it makes Redis refuse the call before it runs while the group's slot migrates).
local function sharded()
  return KEYS[2] ~= nil
end

-- The command for notices: on a Redis Cluster they go to shard channels, which stay on the
-- group's node instead of reaching every node of the cluster.
local function publish_command()
  if sharded() then return 'SPUBLISH' end
  return 'PUBLISH'
end

-- VOUCHED as the caller sent it (decimal digits; see liveness.lua).
local function vouched_arg()
  return ARGV[#ARGV - 1]
end

local function vouched()
  if not VOUCHED then VOUCHED = tonumber(vouched_arg()) or 0 end
  return VOUCHED
end

local function trusted_since()
  if not TRUSTED_SINCE then TRUSTED_SINCE = tonumber(ARGV[#ARGV]) or 0 end
  return TRUSTED_SINCE
end
local function now()
  if not NOW_MS then
    local t = CALL('TIME')
    NOW_MS = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  return NOW_MS
end

local function fmt_int(n)
  return string.format('%d', n)
end

local function lex_range(prefix)
  if prefix == '' then
    return '-', '+'
  end
  -- 0xFF never occurs in UTF-8, so every name starting with prefix sorts below it.
  return '[' .. prefix, '[' .. prefix .. '\255'
end
