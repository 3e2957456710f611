-- ARGV: prefix. A consistent starting point for a subscriber:
-- {epoch, view, last_event_id, record...}.
local epoch = current_epoch().id
reap_expired(64)
local view = CALL('GET', P .. 'view') or '0'
local last = CALL('XREVRANGE', P .. 'events', '+', '-', 'COUNT', 1)
local last_id = '0-0'
if #last > 0 then last_id = last[1][1] end
local out = {epoch, view, last_id}
for _, record in ipairs(live_records(CALL('HVALS', P .. 'members'), unreaped_dead())) do
  out[#out + 1] = record
end
return out
