-- ARGV: prefix. Reaps expired sessions first so the answer holds only live members.
-- Returns every member record (JSON text).
current_epoch()
reap_expired(64)
return live_records(CALL('HVALS', P .. 'members'), unreaped_dead())
