-- Repeat references per area in a window of event hours, for the live generation.
-- KEYS: 1 generation pointer, then per kind k its D day indexes (day d: KEYS[1 + (k - 1) * D + d]),
--   then the sorted sets of the references the client names (below); all in generation ARGV[1].
-- ARGV: 1 that generation, 2 level, 3 start hour, 4 end hour (exclusive), 5 number of kinds
--   K, the K kinds, then D, then per named reference set (KEYS[2 + K * D], …): its kind's
--   number k and the reference.
-- A reference active on a day of the window must have its set named: the client learns them
-- from the reply {2, kind, reference, ...} (those active but not named; nothing counted) and
-- calls again with them too.
-- Returns {1, kind, area, references seen 2+ times, references seen 3+ times, ...}, or
-- {0, live generation} when ARGV[1] is not the live one (nothing read: call again).
local live = redis.call('GET', KEYS[1]) or '0'
if live ~= ARGV[1] then return {0, live} end
local level, first, last = ARGV[2] .. '=', tonumber(ARGV[3]), tonumber(ARGV[4]) - 1
local n_kinds = tonumber(ARGV[5])
local n_days = tonumber(ARGV[6 + n_kinds])
local named = {}  -- named[k][reference] = its set's number in KEYS
for k = 1, n_kinds do named[k] = {} end
local set_at = 2 + n_kinds * n_days
for a = 7 + n_kinds, #ARGV, 2 do
  named[tonumber(ARGV[a])][ARGV[a + 1]] = set_at
  set_at = set_at + 1
end
local active, missing = {}, {}
for k = 1, n_kinds do
  local seen, refs = {}, {}
  for d = 1, n_days do
    for _, ref in ipairs(redis.call('HKEYS', KEYS[1 + (k - 1) * n_days + d])) do
      if not seen[ref] then
        seen[ref] = true
        refs[#refs + 1] = ref
        if not named[k][ref] then
          missing[#missing + 1] = ARGV[5 + k]; missing[#missing + 1] = ref
        end
      end
    end
  end
  active[k] = refs
end
if #missing > 0 then
  table.insert(missing, 1, 2)
  return missing
end
local out = {1}
for k = 1, n_kinds do
  local twice, thrice = {}, {}
  for _, ref in ipairs(active[k]) do
    local per_area = {}
    for _, member in ipairs(redis.call('ZRANGEBYSCORE', KEYS[named[k][ref]], first, last)) do
      for area in string.gmatch(member, level .. '([^,]+)') do
        per_area[area] = (per_area[area] or 0) + 1
      end
    end
    for area, n in pairs(per_area) do
      if n >= 2 then twice[area] = (twice[area] or 0) + 1 end
      if n >= 3 then thrice[area] = (thrice[area] or 0) + 1 end
    end
  end
  local kind = ARGV[5 + k]
  for area, n in pairs(twice) do
    out[#out + 1] = kind; out[#out + 1] = area; out[#out + 1] = n; out[#out + 1] = thrice[area] or 0
  end
end
return out
