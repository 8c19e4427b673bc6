-- Apply one batch of record versions atomically (see store/keys.py and store/writer.py).
-- ARGV is a sequence of sections, each led by its item count:
--   records:  rec_key, expected ("" = no state), new_state, ttl_ms
--   hashes:   key, expire_at (0 = kept), n, then n x (field, delta)   (HDEL at 0)
--   ticker:   member, score, row ("" row = remove)     then ticker key, data key, length
--   incrs:    key, field, n
--   maxima:   key, field, value        (kept only if larger)
--   zsets:    key, member, score ("" = remove), expire_at   (expiry only ever extended)
--   (first: generation pointer key, expected generation ('' = no check))
-- Returns {1} when applied, {0, i} when record i's stored state changed since it was read,
-- {0, 0} when the live generation changed (a rebuild was swapped in): plan again.
local i = 1
local function take() local v = ARGV[i]; i = i + 1; return v end

local pointer, generation = take(), take()
if generation ~= '' and (redis.call('GET', pointer) or '0') ~= generation then return {0, 0} end

local n = tonumber(take())
local records = {}
for r = 1, n do
  local key, expected, state, ttl = take(), take(), take(), take()
  local current = redis.call('GET', key)
  local version = current and string.match(current, '^(%d+)') or ''
  if version ~= expected then return {0, r} end
  records[r] = {key, state, ttl}
end
for _, rec in ipairs(records) do
  redis.call('SET', rec[1], rec[2], 'PX', rec[3])
end
n = tonumber(take())
for _ = 1, n do
  local key, at, fields = take(), tonumber(take()), tonumber(take())
  for _ = 1, fields do
    local field, delta = take(), tonumber(take())
    if redis.call('HINCRBY', key, field, delta) == 0 then redis.call('HDEL', key, field) end
  end
  if at > 0 then redis.call('EXPIREAT', key, at) end
end
n = tonumber(take())
local ticker, data, length = ARGV[i + 3 * n], ARGV[i + 3 * n + 1], tonumber(ARGV[i + 3 * n + 2])
for _ = 1, n do
  local member, score, row = take(), take(), take()
  if row == '' then
    redis.call('ZREM', ticker, member)
    redis.call('HDEL', data, member)
  else
    redis.call('ZADD', ticker, tonumber(score), member)
    redis.call('HSET', data, member, row)
  end
end
i = i + 3
local excess = redis.call('ZCARD', ticker) - length
if excess > 0 then
  local gone = redis.call('ZRANGE', ticker, 0, excess - 1)
  redis.call('ZREMRANGEBYRANK', ticker, 0, excess - 1)
  redis.call('HDEL', data, unpack(gone))
end
n = tonumber(take())
for _ = 1, n do
  redis.call('HINCRBY', take(), take(), tonumber(take()))
end
n = tonumber(take())
for _ = 1, n do
  local key, field, value = take(), take(), tonumber(take())
  local current = tonumber(redis.call('HGET', key, field))
  if not current or current < value then redis.call('HSET', key, field, value) end
end
local function extend_expiry(key, at)
  local current = redis.call('EXPIRETIME', key)
  if current >= 0 and current < at then redis.call('EXPIREAT', key, at)
  elseif current == -1 then redis.call('EXPIREAT', key, at) end
end
n = tonumber(take())
for _ = 1, n do
  local key, member, score, at = take(), take(), take(), tonumber(take())
  if score == '' then
    redis.call('ZREM', key, member)
  else
    redis.call('ZADD', key, tonumber(score), member)
    extend_expiry(key, at)
  end
end
return {1}
