-- Read whole hashes of the live generation in one call.
-- KEYS: 1 generation pointer, 2.. the hashes, named in generation ARGV[1]
-- ARGV: 1 that generation
-- Returns {1, {field, value, ...}, ...} in the order given, or {0, live generation} when
-- ARGV[1] is not the live one (nothing read: name the keys again and call again).
local live = redis.call('GET', KEYS[1]) or '0'
if live ~= ARGV[1] then return {0, live} end
local out = {1}
for i = 2, #KEYS do
  out[#out + 1] = redis.call('HGETALL', KEYS[i])
end
return out
