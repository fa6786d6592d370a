-- Take the live set atomically (realtime.py); a pusher that died mid-round leaves the pushing
-- set, merged next time. KEYS: live, pushing.
if redis.call('EXISTS', KEYS[1]) == 1 then
  if redis.call('EXISTS', KEYS[2]) == 1 then
    redis.call('SUNIONSTORE', KEYS[2], KEYS[1], KEYS[2])
    redis.call('DEL', KEYS[1])
  else
    redis.call('RENAME', KEYS[1], KEYS[2])
  end
end
local ids = redis.call('SMEMBERS', KEYS[2])
redis.call('DEL', KEYS[2])
return ids
