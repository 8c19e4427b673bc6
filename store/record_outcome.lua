-- Count one message's outcome at a stage, once per (topic, partition, offset).
-- KEYS: 1 offsets hash of the stage, 2 outcomes hash, 3 dead-letter hash
-- ARGV: 1 "topic|partition", 2 offset, 3 outcome field, 4 dead-letter field ("" if none)
-- Returns 1 when counted, 0 when this offset was already counted (a replay).
local stored = tonumber(redis.call('HGET', KEYS[1], ARGV[1]))
local offset = tonumber(ARGV[2])
if stored and stored >= offset then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], offset)
redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
if ARGV[4] ~= '' then
  redis.call('HINCRBY', KEYS[3], ARGV[4], 1)
end
return 1
