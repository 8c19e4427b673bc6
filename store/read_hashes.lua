-- Read whole hashes of the live generation in one call.
-- ARGV: 1 generation pointer key, 2 deployment prefix, 3.. key names without prefix
-- Returns {generation, {field, value, ...}, ...} in the order asked.
local generation = redis.call('GET', ARGV[1]) or '0'
local base = ARGV[2] .. 'g' .. generation .. ':'
local out = {generation}
for i = 3, #ARGV do
  out[#out + 1] = redis.call('HGETALL', base .. ARGV[i])
end
return out
