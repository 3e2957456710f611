-- ARGV: prefix. Reaps expired sessions first so the answer holds only live members.
-- Returns every member record (JSON text).
reap_expired(64)
return redis.call('HVALS', P .. 'members')
