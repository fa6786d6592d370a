-- wrk load script of the engagement benchmark (bench/engagement/run.py drives it).
--
--   wrk -t T -c C -d <seconds + grace> -s load.lua URL -- MODE SECONDS DATA_DIR OUT_JSON RUN_ID T G0 SET [SET2]
--
-- MODE: floor | like | naive | playback | naive_playback. SET names a file DATA_DIR/SET.txt of
-- video ids (one per line); like/naive with SET2 is the viral mix: 90 % of the requests on one
-- hot video of SET, 10 % spread over SET2.
--
-- Every request is numbered g = G0 + tid + k * T (k = the thread's k-th request), and the user
-- and video(s) are derived from g, so no (user, video) pair is ever liked twice and no playback
-- event id repeats: every accepted like and every counted view must show in the counters. The
-- driver gives each slice of a phase its own block of users (G0 = slice x users / slices).
-- After SECONDS a thread stops issuing engagement requests (it sends GET /health/live
-- instead) and stops itself once every engagement request it issued has been answered, so
-- wrk never abandons an engagement request in flight: "accepted" is exactly what the server
-- took. Each finished thread leaves OUT_JSON.done.<tid>; the driver then sends wrk SIGINT
-- (its -d is only a backstop). done() writes the thread counters and wrk's latency percentiles to OUT_JSON.
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk, bench_timespec *ts);
]]
local ts = ffi.new("bench_timespec")
local function now()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC, shared by every thread
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

local threads = {}
local next_tid = 0

function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
  table.insert(threads, thread)
end

local function read_lines(path)
  local out = {}
  for line in io.lines(path) do
    if line ~= "" then out[#out + 1] = line end
  end
  return out
end

local function read_ids(path)
  local out = {}
  for _, line in ipairs(read_lines(path)) do out[#out + 1] = tonumber(line) end
  return out
end

function init(args)
  mode, seconds, data, out_path = args[1], tonumber(args[2]), args[3], args[4]
  run_id, nthreads = tonumber(args[5]), tonumber(args[6])
  tokens = read_lines(data .. "/tokens.txt")
  n_users = #tokens
  g0 = tonumber(args[7])
  if args[8] then set1 = read_ids(data .. "/" .. args[8] .. ".txt") end
  if args[9] then set2 = read_ids(data .. "/" .. args[9] .. ".txt") end
  k, issued, answered, noops = 0, 0, 0, 0
  accepted, duplicates, errors, views, rejected = 0, 0, 0, 0, 0
  status_counts = {}
  t_first, t_last = 0, 0
  cut = false
  -- wrk calls request() once on thread 0 before the run to check the script: not a request.
  verify_pending = tid == 0
  json_headers = { ["Content-Type"] = "application/json" }
end

local function headers_for(user)
  return { ["Authorization"] = "Bearer " .. tokens[user + 1], ["Content-Type"] = "application/json" }
end

-- The video of request g: uniform over set1, or the viral mix (one hot video per round of users).
local function like_target(g)
  local user, round = g % n_users, math.floor(g / n_users)
  if set2 == nil then
    return user, set1[(user * 31 + round) % #set1 + 1]
  end
  if g % 10 < 9 then
    return user, set1[round % #set1 + 1]
  end
  return user, set2[(user * 31 + round) % #set2 + 1]
end

local PLAY = { -- per video: one play, counted as a view at 3.5 s; complete and loop are no new views
  { "start", 0 }, { "progress", 1500 }, { "progress", 3500 }, { "complete", 30000 }, { "loop", 30000 },
}
local VIDEOS_PER_BATCH = 20 -- x 5 events = 100 events, the endpoint's maximum

local function playback_body(g, user)
  local round = math.floor(g / n_users)
  local at = os.date("!%Y-%m-%dT%H:%M:%SZ")
  local parts, n = {}, 0
  for j = 0, VIDEOS_PER_BATCH - 1 do
    local video = set1[(user * 31 + round * VIDEOS_PER_BATCH + j) % #set1 + 1]
    for e, step in ipairs(PLAY) do
      n = n + 1
      parts[n] = string.format(
        '{"event_id":"%08x-0000-4000-8000-%012x","video_id":%d,"kind":"%s","occurred_at":"%s",'
          .. '"position_ms":%d,"watch_ms":%d,"duration_ms":30000}',
        run_id, g * 100 + j * 5 + e - 1, video, step[1], at, step[2], step[2])
    end
  end
  return '{"events":[' .. table.concat(parts, ",") .. "]}"
end

-- The naive per-event path: the player posts each event as it happens, one request each
-- (the same plays as above, event by event).
local function playback_one(g)
  local play = math.floor(g / #PLAY)
  local step = PLAY[g % #PLAY + 1]
  local user = play % n_users
  local video = set1[(user * 31 + math.floor(play / n_users)) % #set1 + 1]
  local body = string.format(
    '{"events":[{"event_id":"%08x-0000-4000-9000-%012x","video_id":%d,"kind":"%s","occurred_at":"%s",'
      .. '"position_ms":%d,"watch_ms":%d,"duration_ms":30000}]}',
    run_id, g, video, step[1], os.date("!%Y-%m-%dT%H:%M:%SZ"), step[2], step[2])
  return user, body
end

local function finish()
  -- Tell the driver this thread is done (it interrupts wrk once every thread is), then stop.
  local marker = io.open(out_path .. ".done." .. tid, "w")
  if marker then marker:close() end
  wrk.thread:stop()
end

function request()
  if verify_pending then
    verify_pending = false
    return wrk.format("GET", "/health/live")
  end
  local t = now()
  if t_first == 0 then t_first = t end
  if cut or t - t_first >= seconds then
    cut = true
    if answered >= issued then finish() end
    noops = noops + 1
    return wrk.format("GET", "/health/live")
  end
  local g = g0 + tid + k * nthreads
  k = k + 1
  issued = issued + 1
  if mode == "floor" then
    return wrk.format("GET", "/api/v1/bench/noop", headers_for(g % n_users))
  elseif mode == "like" or mode == "naive" then
    local user, video = like_target(g)
    local path = mode == "like" and "/api/v1/videos/%d/like" or "/api/v1/bench/naive-like/%d"
    return wrk.format("POST", string.format(path, video), headers_for(user))
  elseif mode == "playback" then
    local user = g % n_users
    return wrk.format("POST", "/api/v1/engagement/playback", headers_for(user), playback_body(g, user))
  else
    local user, body = playback_one(g)
    return wrk.format("POST", "/api/v1/bench/naive-playback", headers_for(user), body)
  end
end

function response(status, headers, body)
  if status == 200 and string.find(body, '"status": "ok"', 1, true) then
    return -- a /health/live filler after the cut
  end
  answered = answered + 1
  t_last = now()
  status_counts[status] = (status_counts[status] or 0) + 1
  if mode == "floor" then
    if status == 200 then accepted = accepted + 1 else errors = errors + 1 end
  elseif mode == "like" or mode == "naive" then
    if status == 200 and string.find(body, '"accepted"', 1, true) then
      accepted = accepted + 1
    elseif string.find(body, '"duplicate"', 1, true) then
      duplicates = duplicates + 1
    else
      errors = errors + 1
    end
  else
    if status == 200 then
      accepted = accepted + tonumber(string.match(body, '"accepted":(%d+)') or 0)
      duplicates = duplicates + tonumber(string.match(body, '"duplicates":(%d+)') or 0)
      views = views + tonumber(string.match(body, '"views_counted":(%d+)') or 0)
      for _ in string.gmatch(body, '"index":') do rejected = rejected + 1 end
    else
      errors = errors + 1
    end
  end
  if cut and answered >= issued then finish() end
end

function done(summary, latency, requests)
  local total = { issued = 0, answered = 0, accepted = 0, duplicates = 0, errors = 0, views = 0, rejected = 0, noops = 0 }
  local statuses = {}
  local t0, t1 = math.huge, 0
  for _, thread in ipairs(threads) do
    for name, _ in pairs(total) do total[name] = total[name] + (thread:get(name) or 0) end
    local first, last = thread:get("t_first"), thread:get("t_last")
    if first and first > 0 and first < t0 then t0 = first end
    if last and last > t1 then t1 = last end
    for code, n in pairs(thread:get("status_counts") or {}) do
      statuses[tostring(code)] = (statuses[tostring(code)] or 0) + n
    end
  end
  local file = assert(io.open(threads[1]:get("out_path"), "w")) -- done() runs in the main state: no init()
  file:write("{")
  for name, value in pairs(total) do file:write(string.format('"%s": %d, ', name, value)) end
  local codes = {}
  for code, n in pairs(statuses) do codes[#codes + 1] = string.format('"%s": %d', code, n) end
  file:write('"statuses": {', table.concat(codes, ", "), "}, ")
  file:write(string.format('"elapsed_s": %.6f, "t_first": %.6f, "t_last": %.6f, ', math.max(t1 - t0, 1e-9), t0, t1))
  file:write(string.format('"wrk_requests": %d, "wrk_duration_us": %d, ', summary.requests, summary.duration))
  file:write(string.format('"socket_errors": %d, ', summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout))
  file:write(string.format('"timeouts": %d, ', summary.errors.timeout))
  file:write(string.format('"latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}',
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
  file:write("}\n")
  file:close()
end
