-- ARGV: prefix, then the clock evidence. Applies every topic's retention (run on a timer
-- by every connector that sent to or read a topic with one). Returns how many entries
-- were removed.
local removed = 0
local all = CALL('HGETALL', P .. 'topic-retention')
for i = 1, #all, 2 do
  removed = removed + trim_topic(all[i], all[i + 1])
end
return removed
