-- ARGV: prefix. Every lock held now by a session whose deadline has not passed, found
-- through the sessions' ownership sets (`owned:<sid>`, entries `l:<name>`), so the cost is
-- the live sessions and what they hold, never a scan of the keyspace (and it stays on the
-- group's slot in a cluster). A free lock is not listed: it may have no hash at all.
-- Returns {name, owner, session, token, ...}.
local out = {}
for _, sid in ipairs(CALL('ZRANGE', SESSIONS, 0, -1)) do
  if session_visible(sid) then
    for _, entry in ipairs(CALL('SMEMBERS', P .. 'owned:' .. sid)) do
      if string.sub(entry, 1, 2) == 'l:' then
        local name = string.sub(entry, 3)
        local held = CALL('HMGET', P .. 'lock:' .. name, 'hold', 'session')
        if held[2] == sid then
          local token, _, owner = parse_hold(held[1])
          out[#out + 1] = name
          out[#out + 1] = owner
          out[#out + 1] = sid
          out[#out + 1] = token
        end
      end
    end
  end
end
return out
