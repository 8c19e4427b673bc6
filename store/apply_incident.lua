-- Apply one incident version idempotently (see store/keys.py for the layout).
-- KEYS: 1 rec, 2 counts, 3 latest, 4 latest_data, 5 outcomes, 6 freshness
-- ARGV: 1 version, 2 new count cell ("" = contributes nothing, e.g. cancelled),
--       3 record_key, 4 ticker row JSON, 5 ticker score (ms), 6 ticker length,
--       7 source, 8 received_ms, 9 event_ms
-- Returns: 0 duplicate/stale (nothing changed), 1 new record, 2 correction applied.
local version = tonumber(ARGV[1])
local current = redis.call('HMGET', KEYS[1], 'v', 'c')
local current_version = tonumber(current[1])
if current_version and current_version >= version then
  local what = (current_version == version) and 'duplicate|' or 'stale|'
  redis.call('HINCRBY', KEYS[5], what .. ARGV[7], 1)
  return 0
end
local old_cell = current[2]
if old_cell and old_cell ~= '' then
  if redis.call('HINCRBY', KEYS[2], old_cell, -1) <= 0 then
    redis.call('HDEL', KEYS[2], old_cell)
  end
end
local new_cell = ARGV[2]
if new_cell ~= '' then
  redis.call('HINCRBY', KEYS[2], new_cell, 1)
end
redis.call('HSET', KEYS[1], 'v', version, 'c', new_cell)
if new_cell == '' then
  redis.call('ZREM', KEYS[3], ARGV[3])
  redis.call('HDEL', KEYS[4], ARGV[3])
else
  redis.call('ZADD', KEYS[3], tonumber(ARGV[5]), ARGV[3])
  redis.call('HSET', KEYS[4], ARGV[3], ARGV[4])
  local keep = tonumber(ARGV[6])
  local excess = redis.call('ZCARD', KEYS[3]) - keep
  if excess > 0 then
    local gone = redis.call('ZRANGE', KEYS[3], 0, excess - 1)
    redis.call('ZREMRANGEBYRANK', KEYS[3], 0, excess - 1)
    redis.call('HDEL', KEYS[4], unpack(gone))
  end
end
local fresh = redis.call('HMGET', KEYS[6], 'received_ms', 'event_ms')
if not tonumber(fresh[1]) or tonumber(fresh[1]) < tonumber(ARGV[8]) then
  redis.call('HSET', KEYS[6], 'received_ms', ARGV[8])
end
if not tonumber(fresh[2]) or tonumber(fresh[2]) < tonumber(ARGV[9]) then
  redis.call('HSET', KEYS[6], 'event_ms', ARGV[9])
end
if current_version then
  redis.call('HINCRBY', KEYS[5], 'corrected|' .. ARGV[7], 1)
  return 2
end
redis.call('HINCRBY', KEYS[5], 'counted|' .. ARGV[7], 1)
return 1
