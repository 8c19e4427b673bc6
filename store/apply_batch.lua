-- Apply one batch of record versions atomically (see store/keys.py and store/writer.py).
-- ARGV[1] is one JSON object (one argument, so the client packs one string, not thousands):
--   p   generation pointer key;  g  expected live generation ("" = no check: a rebuild)
--   rec [[key, expected version ("" = no state), new state, ttl_ms], ...]
--   h   [[[key, expire_at (0 = kept), key, expire_at, ...], [field, delta, field, delta, ...]], ...]
--       every key of a group gets the same field deltas (HDEL at 0)
--   t   [[member, score, row ("" = remove)], ...];  tk  [ticker key, data key, length]
--   o   [[key, field, n], ...]                      counters
--   m   [[key, field, value], ...]                  kept only if larger
--   z   [[key, member, score ("" = remove), expire_at], ...]   (expiry only ever extended)
-- Returns {1} when applied, {0, i} when record i's stored state changed since it was read,
-- {0, 0} when the live generation changed (a rebuild was swapped in): plan again.
-- Every check comes before the first write, and a key of another type is refused there
-- (WRONGTYPE): Redis does not roll a script back, so an error after a write would leave
-- half a batch applied; an error before it leaves nothing (the writer then splits the batch
-- to find the event at fault).
local b = cjson.decode(ARGV[1])
if b.g ~= '' and (redis.call('GET', b.p) or '0') ~= b.g then return {0, 0} end
for r, rec in ipairs(b.rec) do
  local current = redis.call('GET', rec[1])
  local version = current and string.match(current, '^(%d+)') or ''
  if version ~= rec[2] then return {0, r} end
end
local function typed(key, want)
  local t = redis.call('TYPE', key).ok
  if t ~= 'none' and t ~= want then error('WRONGTYPE ' .. key .. ' is a ' .. t .. ', not a ' .. want) end
end
for _, h in ipairs(b.h) do
  for k = 1, #h[1], 2 do typed(h[1][k], 'hash') end
end
typed(b.tk[1], 'zset')
typed(b.tk[2], 'hash')
for _, o in ipairs(b.o) do typed(o[1], 'hash') end
for _, m in ipairs(b.m) do typed(m[1], 'hash') end
for _, z in ipairs(b.z) do typed(z[1], 'zset') end
for _, rec in ipairs(b.rec) do
  redis.call('SET', rec[1], rec[3], 'PX', rec[4])
end
for _, h in ipairs(b.h) do
  local keys, pairs_ = h[1], h[2]
  for k = 1, #keys, 2 do
    local key = keys[k]
    for i = 1, #pairs_, 2 do
      if redis.call('HINCRBY', key, pairs_[i], pairs_[i + 1]) == 0 then
        redis.call('HDEL', key, pairs_[i])
      end
    end
    if keys[k + 1] > 0 then redis.call('EXPIREAT', key, keys[k + 1]) end
  end
end
local ticker, data, length = b.tk[1], b.tk[2], b.tk[3]
for _, t in ipairs(b.t) do
  if t[3] == '' then
    redis.call('ZREM', ticker, t[1])
    redis.call('HDEL', data, t[1])
  else
    redis.call('ZADD', ticker, t[2], t[1])
    redis.call('HSET', data, t[1], t[3])
  end
end
local excess = redis.call('ZCARD', ticker) - length
if excess > 0 then
  local gone = redis.call('ZRANGE', ticker, 0, excess - 1)
  redis.call('ZREMRANGEBYRANK', ticker, 0, excess - 1)
  redis.call('HDEL', data, unpack(gone))
end
for _, o in ipairs(b.o) do redis.call('HINCRBY', o[1], o[2], o[3]) end
for _, m in ipairs(b.m) do
  local current = tonumber(redis.call('HGET', m[1], m[2]))
  if not current or current < m[3] then redis.call('HSET', m[1], m[2], m[3]) end
end
for _, z in ipairs(b.z) do
  if z[3] == '' then
    redis.call('ZREM', z[1], z[2])
  else
    redis.call('ZADD', z[1], z[3], z[2])
    local current = redis.call('EXPIRETIME', z[1])
    if current == -1 or (current >= 0 and current < z[4]) then redis.call('EXPIREAT', z[1], z[4]) end
  end
end
return {1}
