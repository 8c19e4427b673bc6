-- Apply one batch of record versions atomically (see store/keys.py and store/writer.py).
-- KEYS (every key the script touches, named by the client in generation ARGV[1]):
--   1 generation pointer, 2 ticker (zset), 3 ticker rows (hash), 4 outcome counters (hash),
--   then R record states, then H hashes (aggregates, day indexes, freshness), then the
--   rest: sorted sets (repeat references)
-- ARGV[1]: the generation the keys are named in ('' = a rebuild's own: not checked)
-- ARGV[2]: one JSON object (one argument, so the client packs one string, not thousands);
--   k below is a key's number in KEYS:
--   n   [R, H]
--   rec [[expected version ("" = no state), new state], ...]   (record i: KEYS[4 + i])
--   ttl record state lifetime (ms)
--   h   [[[k, k, ...], [field, delta, field, delta, ...]], ...]
--       every key of a group gets the same field deltas (HDEL at 0)
--   e   [k, expire_at, ...]                         each hash's expiry, once
--   t   [[member, score, row ("" = remove)], ...];  tl  ticker length
--   o   [field, n, ...]                             outcome counters
--   m   [[k, field, value], ...]                    kept only if larger
--   z   [[k, member, score ("" = remove), expire_at], ...]   (expiry only ever extended)
-- Returns {1} when applied, {2, i} when record i's stored state changed since it was read,
-- {0, live generation} when ARGV[1] is not the live one (a rebuild was swapped in): name the
-- keys in the live generation and plan again.
-- Every check comes before the first write, and a key of another type is refused there
-- (WRONGTYPE): Redis does not roll a script back, so an error after a write would leave
-- half a batch applied; an error before it leaves nothing (the writer then splits the batch
-- to find the event at fault).
if ARGV[1] ~= '' then
  local live = redis.call('GET', KEYS[1]) or '0'
  if live ~= ARGV[1] then return {0, live} end
end
local b = cjson.decode(ARGV[2])
local records, hashes = b.n[1], b.n[2]
for r, rec in ipairs(b.rec) do
  local current = redis.call('GET', KEYS[4 + r])
  local version = current and string.match(current, '^(%d+)') or ''
  if version ~= rec[1] then return {2, r} end
end
local function typed(k, want)
  local t = redis.call('TYPE', KEYS[k]).ok
  if t ~= 'none' and t ~= want then error('WRONGTYPE ' .. KEYS[k] .. ' is a ' .. t .. ', not a ' .. want) end
end
typed(2, 'zset')
typed(3, 'hash')
if #b.o > 0 then typed(4, 'hash') end
for k = 5 + records, 4 + records + hashes do typed(k, 'hash') end
for k = 5 + records + hashes, #KEYS do typed(k, 'zset') end
for r, rec in ipairs(b.rec) do
  redis.call('SET', KEYS[4 + r], rec[2], 'PX', b.ttl)
end
for _, h in ipairs(b.h) do
  local keys, pairs_ = h[1], h[2]
  for _, k in ipairs(keys) do
    for i = 1, #pairs_, 2 do
      if redis.call('HINCRBY', KEYS[k], pairs_[i], pairs_[i + 1]) == 0 then
        redis.call('HDEL', KEYS[k], pairs_[i])
      end
    end
  end
end
for i = 1, #b.e, 2 do redis.call('EXPIREAT', KEYS[b.e[i]], b.e[i + 1]) end
local length = b.tl
for _, t in ipairs(b.t) do
  if t[3] == '' then
    redis.call('ZREM', KEYS[2], t[1])
    redis.call('HDEL', KEYS[3], t[1])
  else
    redis.call('ZADD', KEYS[2], t[2], t[1])
    redis.call('HSET', KEYS[3], t[1], t[3])
  end
end
local excess = redis.call('ZCARD', KEYS[2]) - length
if excess > 0 then
  local gone = redis.call('ZRANGE', KEYS[2], 0, excess - 1)
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, excess - 1)
  redis.call('HDEL', KEYS[3], unpack(gone))
end
for i = 1, #b.o, 2 do redis.call('HINCRBY', KEYS[4], b.o[i], b.o[i + 1]) end
for _, m in ipairs(b.m) do
  local current = tonumber(redis.call('HGET', KEYS[m[1]], m[2]))
  if not current or current < m[3] then redis.call('HSET', KEYS[m[1]], m[2], m[3]) end
end
for _, z in ipairs(b.z) do
  if z[3] == '' then
    redis.call('ZREM', KEYS[z[1]], z[2])
  else
    redis.call('ZADD', KEYS[z[1]], z[3], z[2])
    local current = redis.call('EXPIRETIME', KEYS[z[1]])
    if current == -1 or (current >= 0 and current < z[4]) then redis.call('EXPIREAT', KEYS[z[1]], z[4]) end
  end
end
return {1}
