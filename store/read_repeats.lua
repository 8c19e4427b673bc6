-- Repeat references per area in a window of event hours, for the live generation.
-- ARGV: 1 pointer key, 2 deployment prefix, 3 level, 4 start hour, 5 end hour (exclusive),
--       6 number of kinds, kinds..., then day ids (YYYYMMDD) covering the window
-- Returns a flat list: kind, area, references seen 2+ times, references seen 3+ times, ...
local generation = redis.call('GET', ARGV[1]) or '0'
local base = ARGV[2] .. 'g' .. generation .. ':'
local level, first, last = ARGV[3] .. '=', tonumber(ARGV[4]), tonumber(ARGV[5]) - 1
local n_kinds = tonumber(ARGV[6])
local out = {}
for k = 1, n_kinds do
  local kind = ARGV[6 + k]
  local days = {}
  for d = 7 + n_kinds, #ARGV do days[#days + 1] = base .. 'rd:' .. kind .. ':' .. ARGV[d] end
  local seen, refs = {}, {}
  for _, day in ipairs(days) do
    for _, ref in ipairs(redis.call('HKEYS', day)) do
      if not seen[ref] then seen[ref] = true; refs[#refs + 1] = ref end
    end
  end
  local twice, thrice = {}, {}
  for _, ref in ipairs(refs) do
    local per_area = {}
    for _, member in ipairs(redis.call('ZRANGEBYSCORE', base .. 'r:' .. kind .. ':' .. ref, first, last)) do
      for area in string.gmatch(member, level .. '([^,]+)') do
        per_area[area] = (per_area[area] or 0) + 1
      end
    end
    for area, n in pairs(per_area) do
      if n >= 2 then twice[area] = (twice[area] or 0) + 1 end
      if n >= 3 then thrice[area] = (thrice[area] or 0) + 1 end
    end
  end
  for area, n in pairs(twice) do
    out[#out + 1] = kind; out[#out + 1] = area; out[#out + 1] = n; out[#out + 1] = thrice[area] or 0
  end
end
return out
