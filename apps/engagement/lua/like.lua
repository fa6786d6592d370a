-- One like or unlike, in one round trip (transport/redis_transport.py; names: protocol.py).
-- The account behind the token first, when the request left it to the script
-- (token_generation; apps/accounts/identity.py). Then access (nothing is counted or
-- rate-limited for a like that is refused): the facts hash and the epochs it was read under
-- (access.py), then the backlog, the rate limit, the like.
-- Returns {status, like count, kick, hidden}; hidden is 1 when the creator hides like counts
-- from this user (facts field hl), so the answer needs no second read.
local gen = ARGV[${LikeArgs.token_generation}]
if gen ~= '' and not token_valid(KEYS[${LikeKeys.identity_snapshot}], KEYS[${LikeKeys.identity_deny}], gen) then
  return {${LikeStatus.ACCOUNT_CHECK}, 0, 0}
end
local f = redis.call('HMGET', KEYS[${LikeKeys.access_facts}], 'c', 'pub', 'open', 've', 'ce', 'sl', 'sv', 'ss', 'hl')
local creator = f[1]
if not creator then return {${LikeStatus.FACTS_STALE}, 0, 0} end
if (redis.call('GET', KEYS[${LikeKeys.video_epoch}]) or '0') ~= f[4] then return {${LikeStatus.FACTS_STALE}, 0, 0} end
if (redis.call('GET', '${keys.ACCOUNT_EPOCH_PREFIX}' .. creator) or '0') ~= f[5] then
  return {${LikeStatus.FACTS_STALE}, 0, 0}
end
local user = ARGV[${LikeArgs.user_id}]
local hidden = 0
if f[9] == '1' and creator ~= user then hidden = 1 end
if creator ~= user and ARGV[${LikeArgs.mode}] ~= 'trusted' then
  if f[2] ~= '1' then return {${LikeStatus.HIDDEN}, 0, 0} end
  local blocks = '${keys.BLOCKS_PREFIX}' .. creator
  if redis.call('EXISTS', blocks) == 0 then return {${LikeStatus.FACTS_STALE}, 0, 0} end
  if redis.call('SISMEMBER', blocks, user) == 1 then return {${LikeStatus.HIDDEN}, 0, 0} end
  if f[3] ~= '1' then return {${LikeStatus.FULL_CHECK}, 0, 0} end
end
if redis.call('XLEN', KEYS[${LikeKeys.stream}]) > tonumber(ARGV[${LikeArgs.max_backlog}]) then
  return {${LikeStatus.BACKLOG}, 0, 0}
end
local rate = KEYS[${LikeKeys.like_rate}]
local hits = redis.call('INCR', rate)
if hits == 1 then redis.call('EXPIRE', rate, ARGV[${LikeArgs.rate_window_s}]) end
if hits > tonumber(ARGV[${LikeArgs.rate_limit}]) then return {${LikeStatus.RATE_LIMITED}, 0, 0} end
local video, want = ARGV[${LikeArgs.video_id}], ARGV[${LikeArgs.want}]
local vc = KEYS[${LikeKeys.counters}]
local cur = redis.call('HGET', KEYS[${LikeKeys.user_likes}], video)
if redis.call('EXISTS', vc) == 0 then
  redis.call('HSET', vc, 'likes', f[6], 'views', f[7], 'shares', f[8], 'v', 0)
end
if cur == want or (not cur and want == '0') then
  return {${LikeStatus.DUPLICATE}, tonumber(redis.call('HGET', vc, 'likes')), 0, hidden}
end
redis.call('HSET', KEYS[${LikeKeys.user_likes}], video, want)
local delta = 1
if want == '0' then delta = -1 end
local n = redis.call('HINCRBY', vc, 'likes', delta)
redis.call('HINCRBY', vc, 'v', 1)
redis.call('SADD', KEYS[${LikeKeys.dirty}], video)
redis.call('XADD', KEYS[${LikeKeys.stream}], '*', 'e', ARGV[${LikeArgs.event}])
local kick = 0
if redis.call('SET', KEYS[${LikeKeys.kick}], '1', 'NX', 'PX', ARGV[${LikeArgs.kick_ms}]) then kick = 1 end
if redis.call('HEXISTS', KEYS[${LikeKeys.watchers}], video) == 1 then redis.call('SADD', KEYS[${LikeKeys.live}], video) end
return {${LikeStatus.ACCEPTED}, n, kick, hidden}
