-- Read the live generation and the stored state of each record in it.
-- ARGV: 1 generation pointer key, 2 deployment prefix, 3 generation ('' = the live one),
--       4.. record keys (without prefix)
-- Returns {generation, state-or-false, ...}
local generation = ARGV[3]
if generation == '' then generation = redis.call('GET', ARGV[1]) or '0' end
local out = {generation}
local base = ARGV[2] .. 'g' .. generation .. ':rec:'
for i = 4, #ARGV do
  out[#out + 1] = redis.call('GET', base .. ARGV[i])
end
return out
