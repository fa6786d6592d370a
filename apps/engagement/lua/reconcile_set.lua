-- Set recomputed counters (counters.py) only if nothing changed since version ARGV[1] was read
-- and no accepted event is still waiting in the stream (it is counted live but not yet stored).
-- KEYS: counters, stream, dirty; ARGV: version, likes, views, shares, video id.
local v = redis.call('HGET', KEYS[1], 'v') or '0'
if v ~= ARGV[1] or redis.call('XLEN', KEYS[2]) > 0 then return 0 end
redis.call('HSET', KEYS[1], 'likes', ARGV[2], 'views', ARGV[3], 'shares', ARGV[4])
redis.call('HINCRBY', KEYS[1], 'v', 1)
redis.call('SADD', KEYS[3], ARGV[5])
return 1
