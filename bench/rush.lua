-- wrk script of bench/booking_rush.py: every request is one planned booking confirm POST.
--
--   wrk -t1 -c C -d MAX -s bench/rush.lua URL -- PLAN_FILE
--
-- PLAN_FILE has one planned request a line: path, Cookie header and form body, tab-separated.
-- One wrk thread sends every line once, in order, over C connections (C clients, each sending
-- its next request when its answer is in).
--
-- It prints "STARTED" when the plan is loaded and "DONE" at the first answer after the last
-- planned request was sent, and stops. The Python side times the run between the two lines and
-- then ends wrk with SIGINT, so that done() prints one line "RESULT key=value ...". The answers
-- still outstanding at DONE (fewer than C) are not in wrk's figures: gunicorn still serves them
-- (the requests were sent), and the Python side waits for them and counts their bookings in the
-- database. Why not wait for them here: after DONE a connection has nothing to send, and an open
-- connection without a request would hold a sync worker (it waits for the request) in front of
-- the requests still queued.

local plan = {}
local sent, answered = 0, 0
local finished = false
ok, refused, limited, other = 0, 0, 0, 0

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    local path, cookie, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
    if path then
      table.insert(plan, wrk.format("POST", path, {
        ["Cookie"] = cookie,
        ["Content-Type"] = "application/x-www-form-urlencoded",
      }, body))
    end
  end
  io.write("STARTED\n")
  io.flush()
end

function delay()
  if sent < #plan then
    return 0
  end
  return 600000 -- nothing left to send: wait for the end (SIGINT)
end

function request()
  if sent < #plan then
    sent = sent + 1
    return plan[sent]
  end
  return wrk.format("GET", "/__bench_idle__") -- not reached: delay() holds the connection
end

function response(status, headers, body)
  if finished then
    return
  end
  answered = answered + 1
  if status == 302 then
    ok = ok + 1
  elseif status == 400 then
    refused = refused + 1
  elseif status == 429 then
    limited = limited + 1
  else
    other = other + 1
  end
  if sent >= #plan then
    finished = true
    io.write("DONE\n")
    io.flush()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local t = {ok = 0, refused = 0, limited = 0, other = 0}
  for _, thread in ipairs(threads) do
    for key, _ in pairs(t) do
      t[key] = t[key] + (thread:get(key) or 0)
    end
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT ok=%d refused=%d limited=%d other=%d duration_us=%d requests=%d "
      .. "p50_us=%d p95_us=%d p99_us=%d max_us=%d connect=%d read=%d write=%d timeout=%d\n",
    t.ok, t.refused, t.limited, t.other, summary.duration, summary.requests,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.timeout))
end
