-- ARGV: prefix, request id, reply JSON, how long the reply is kept (ms), then the clock
-- evidence. Hands the reply to the requester, which waits on the list with BLPOP; a reply
-- nobody takes goes away on its own.
local key = P .. 'reply:' .. ARGV[2]
CALL('RPUSH', key, ARGV[3])
CALL('PEXPIRE', key, ARGV[4])
return 1
