-- Write a video's access facts (access.py) only if the epochs they were read under are still
-- current. KEYS: facts, video epoch, creator epoch; ARGV: the two epochs, ttl ms, field/value pairs.
if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[1] then return 0 end
if (redis.call('GET', KEYS[3]) or '0') ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
