-- Count each message's outcome at a stage, once per (topic, partition, offset).
-- KEYS: 1 offsets hash of the stage, 2 outcomes hash, 3 dead-letter hash
-- ARGV[1]: one JSON array (one argument for the whole batch), in offset order per partition:
--   [["topic|partition", offset, outcome field, dead-letter field ("" if none)], ...]
-- Returns how many were counted (a replayed offset is not counted again).
local counted = 0
for _, o in ipairs(cjson.decode(ARGV[1])) do
  local stored = tonumber(redis.call('HGET', KEYS[1], o[1]))
  if not stored or stored < o[2] then
    redis.call('HSET', KEYS[1], o[1], o[2])
    redis.call('HINCRBY', KEYS[2], o[3], 1)
    if o[4] ~= '' then
      redis.call('HINCRBY', KEYS[3], o[4], 1)
    end
    counted = counted + 1
  end
end
return counted
