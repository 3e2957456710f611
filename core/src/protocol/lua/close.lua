-- ARGV: prefix, session id, reason ('left' when closing, 'expired' when a connector
-- replaces a session whose lease it knows is gone). Ends the session now.
end_session(ARGV[2], ARGV[3])
return 1
