-- Exact window figures, summed inside Redis (the same arithmetic as aggregates.windows.summarize):
-- a reply carries one line per (area, category[, value]) and window, however many bucket
-- hashes and authorities the windows span.
-- KEYS: 1 generation pointer, then per hash the windows read (each once), its part of each
--   of the A authorities (every aggregate hash is sharded): hash h (1-based), authority a is
--   KEYS[1 + (h - 1) * A + a]; all named in generation ARGV[1].
-- ARGV: 1 that generation, 2 '1' to report unplaced events ('0': placed counts only), 3 A,
--   then per window: start, end (epoch hours), T, D, the T total hashes' numbers h and the
--   D detail hashes' numbers.
-- Totals count whole; a detail field 'area|category[|value]|start-end' counts when its span
-- lies inside [start, end), and as unplaced when it only overlaps.
-- Returns {1, {field, count, unplaced, ...} per window, in the order asked}
-- ({field, count, ...} without unplaced), or {0, live generation} when ARGV[1] is not the
-- live one (nothing read: name the keys again and call again).
-- Total: a field whose value is not a number, or a detail field without a readable span,
-- is skipped (one bad stored value never fails a read; the writer never stores one).
local live = redis.call('GET', KEYS[1]) or '0'
if live ~= ARGV[1] then return {0, live} end
local with_unplaced = ARGV[2] == '1'
local n_auth = tonumber(ARGV[3])
local totals_read, details_read = {}, {}  -- each hash read (and parsed) once

local function hgetall(h, each)
  for a = 1, n_auth do
    local flat = redis.call('HGETALL', KEYS[1 + (h - 1) * n_auth + a])
    for i = 1, #flat, 2 do
      local n = tonumber(flat[i + 1])
      if n then each(flat[i], n) end
    end
  end
end

local function totals(h)
  local found = totals_read[h]
  if not found then
    found = {}
    hgetall(h, function(field, n)
      found[#found + 1] = field
      found[#found + 1] = n
    end)
    totals_read[h] = found
  end
  return found
end

local function details(h)  -- {field, start, end, n, ...}
  local found = details_read[h]
  if not found then
    found = {}
    hgetall(h, function(field, n)
      local cell, s, e = string.match(field, '^(.*)|(%d+)%-(%d+)$')
      if cell then
        found[#found + 1] = cell
        found[#found + 1] = tonumber(s)
        found[#found + 1] = tonumber(e)
        found[#found + 1] = n
      end
    end)
    details_read[h] = found
  end
  return found
end

local out = {1}
local i = 4
while i <= #ARGV do
  local first, last = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
  local n_totals, n_details = tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3])
  i = i + 4
  local count, unplaced, order = {}, {}, {}
  local function add(field, n, into)
    if count[field] == nil then
      count[field], unplaced[field] = 0, 0
      order[#order + 1] = field
    end
    into[field] = into[field] + n
  end
  for t = 0, n_totals - 1 do
    local flat = totals(tonumber(ARGV[i + t]))
    for f = 1, #flat, 2 do add(flat[f], flat[f + 1], count) end
  end
  i = i + n_totals
  for d = 0, n_details - 1 do
    local flat = details(tonumber(ARGV[i + d]))
    for f = 1, #flat, 4 do
      local s, e = flat[f + 1], flat[f + 2]
      if s >= first and e <= last then
        add(flat[f], flat[f + 3], count)
      elseif with_unplaced and s < last and e > first then
        add(flat[f], flat[f + 3], unplaced)
      end
    end
  end
  i = i + n_details
  local rows = {}
  for _, field in ipairs(order) do
    if count[field] ~= 0 or unplaced[field] ~= 0 then
      rows[#rows + 1] = field
      rows[#rows + 1] = count[field]
      if with_unplaced then rows[#rows + 1] = unplaced[field] end
    end
  end
  out[#out + 1] = rows
end
return out
