-- Topic prelude: retention of the topic log (see docs/PROTOCOL.md, "Topics").

-- Entries scanned per call to find the age cut-off of one topic: the index is not a time,
-- so the cut-off is found by reading the oldest entries' `t` field. A topic with more
-- entries to drop is trimmed further by the next call.
local AGE_SCAN = 4096

-- Applies `retention` ("<max_len> <max_age_ms>", 0: no limit) to `topic` now. Returns how
-- many entries were removed.
local function trim_topic(topic, retention)
  local key = P .. 'topic:' .. topic
  local max_len, max_age = string.match(retention or '', '^(%d+) (%d+)$')
  max_len, max_age = tonumber(max_len or '0'), tonumber(max_age or '0')
  local removed = 0
  if max_len > 0 then
    removed = removed + CALL('XTRIM', key, 'MAXLEN', max_len)
  end
  if max_age > 0 then
    local cutoff = now() - max_age
    local old = CALL('XRANGE', key, '-', '+', 'COUNT', AGE_SCAN)
    local keep = nil
    for _, entry in ipairs(old) do
      local fields = entry[2]
      local t = 0
      for j = 1, #fields, 2 do
        if fields[j] == 't' then t = tonumber(fields[j + 1]) end
      end
      if t >= cutoff then
        keep = entry[1]
        break
      end
    end
    if keep then
      removed = removed + CALL('XTRIM', key, 'MINID', keep)
    elseif old[1] then
      -- Everything scanned is too old: drop it, the rest (if any) goes next time.
      local last = old[#old][1]
      local ms = string.match(last, '^(%d+)')
      removed = removed + CALL('XTRIM', key, 'MINID', fmt_int(tonumber(ms) + 1) .. '-0')
    end
  end
  return removed
end
