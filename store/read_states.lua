-- Read the stored state of each record of a batch, in one generation.
-- KEYS: 1 generation pointer, 2.. the records' state keys in generation ARGV[1]
-- ARGV: 1 that generation ('' = a rebuild's own generation: not checked against the pointer)
-- Returns {1, state-or-false, ...} in the order given, or {0, live generation} when ARGV[1]
-- is not the live one (nothing read: name the keys in the live generation and call again).
if ARGV[1] ~= '' then
  local live = redis.call('GET', KEYS[1]) or '0'
  if live ~= ARGV[1] then return {0, live} end
end
local out = {1}
for i = 2, #KEYS do
  out[#out + 1] = redis.call('GET', KEYS[i])
end
return out
