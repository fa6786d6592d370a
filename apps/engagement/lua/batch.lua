-- One request's playback events or share (transport/redis_transport.py; names: protocol.py).
-- ARGV items is a JSON array with one BatchRow per event. ARGV payload is the request's
-- events as one JSON document (stream.encode_batch), opaque here: if any event is new, it
-- goes to the stream as one entry (field "p") with the statuses decided here (field "m", one
-- EventStatus digit per event). The workers skip the duplicates, derive the counted views
-- (their ids are deterministic) and keep the capped ones under their own kinds. One entry and
-- one JSON encoding per request, for Redis and for the workers.
-- Budgets first (the viewer's, an anonymous client's network's; their limits in the same
-- order): n_events more events past one refuses the whole request ({OVER_BUDGET, ttl}), so
-- what one viewer or network can put into Redis (dedupe keys, stream) is bounded. Two GETs
-- and two INCRBYs a request; the network cap is one INCR per newly counted anonymous view or share.
local stream = KEYS[${BatchKeys.stream}]
if redis.call('XLEN', stream) > tonumber(ARGV[${BatchArgs.max_backlog}]) then return {${BatchRefusal.BACKLOG}} end
local n = tonumber(ARGV[${BatchArgs.n_events}])
local limit_offset = ${BatchArgs.limits} - ${BatchKeys.budgets}
for b = ${BatchKeys.budgets}, #KEYS do
  if tonumber(redis.call('GET', KEYS[b]) or '0') + n > tonumber(ARGV[b + limit_offset]) then
    return {${BatchRefusal.OVER_BUDGET}, redis.call('TTL', KEYS[b])}
  end
end
for b = ${BatchKeys.budgets}, #KEYS do
  if redis.call('INCRBY', KEYS[b], n) == n then redis.call('EXPIRE', KEYS[b], ARGV[${BatchArgs.budget_window_s}]) end
end
local win, kick_ms = ARGV[${BatchArgs.view_window_s}], ARGV[${BatchArgs.kick_ms}]
local statuses, any = {}, false
for i, e in ipairs(cjson.decode(ARGV[${BatchArgs.items}])) do
  local status = ${EventStatus.DUPLICATE}
  if redis.call('SET', e[${BatchRow.seen}], '1', 'NX', 'EX', e[${BatchRow.seen_ttl}]) then
    any = true
    status = ${EventStatus.ACCEPTED}
    local bump = e[${BatchRow.bump}]
    local view_window = e[${BatchRow.view_window}]
    if view_window ~= '' and redis.call('SET', view_window, '1', 'NX', 'EX', win) then
      bump = 'views'
      status = ${EventStatus.VIEW_COUNTED}
    end
    local cap_key = e[${BatchRow.cap_key}]
    if bump ~= '' and cap_key ~= '' then
      local seen = redis.call('INCR', cap_key)
      if seen == 1 then redis.call('EXPIRE', cap_key, win) end
      if seen > tonumber(e[${BatchRow.cap}]) then
        bump = ''
        status = ${EventStatus.CAPPED}
      end
    end
    if bump ~= '' then
      local vc, video = e[${BatchRow.counters}], e[${BatchRow.video_id}]
      if redis.call('EXISTS', vc) == 0 then
        redis.call('HSET', vc, 'likes', e[${BatchRow.seed_likes}], 'views', e[${BatchRow.seed_views}],
          'shares', e[${BatchRow.seed_shares}], 'v', 0)
      end
      redis.call('HINCRBY', vc, bump, 1)
      redis.call('HINCRBY', vc, 'v', 1)
      redis.call('SADD', KEYS[${BatchKeys.dirty}], video)
      if redis.call('HEXISTS', KEYS[${BatchKeys.watchers}], video) == 1 then
        redis.call('SADD', KEYS[${BatchKeys.live}], video)
      end
    end
  end
  statuses[i] = status
end
local kick = 0
if any then
  redis.call('XADD', stream, '*', 'p', ARGV[${BatchArgs.payload}], 'm', table.concat(statuses))
  if redis.call('SET', KEYS[${BatchKeys.kick}], '1', 'NX', 'PX', kick_ms) then kick = 1 end
end
return {statuses, kick}
