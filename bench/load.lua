-- wrk script of bench/load.py. Arguments after `--`:
--   report                                   the URL given to wrk, as it is
--   complete <ids file> <threads> <json body>
--                                            POST /api/tasks/<id>/complete, every request a task of
--                                            its own: thread k takes the ids on lines k+1, k+1+threads, …
-- Each thread counts the answers by status ("exhausted": a request made after its ids ran out);
-- done() prints one JSON line with the totals and the latency percentiles in microseconds.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  mode = args[1] or "report"
  statuses = {}
  if mode == "complete" then
    local all = {}
    for line in io.lines(args[2]) do
      if line ~= "" then all[#all + 1] = line end
    end
    local step = tonumber(args[3])
    ids = {}
    for i = tid + 1, #all, step do ids[#ids + 1] = all[i] end
    pos = 0
    wrk.headers["Content-Type"] = "application/json"
    body = args[4]
  end
end

function request()
  if mode ~= "complete" then
    return wrk.format()
  end
  pos = pos + 1
  if pos > #ids then
    statuses["exhausted"] = (statuses["exhausted"] or 0) + 1
    return wrk.format("GET", "/healthz")
  end
  return wrk.format("POST", "/api/tasks/" .. ids[pos] .. "/complete", nil, body)
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses") or {}
    for key, value in pairs(counts) do totals[key] = (totals[key] or 0) + value end
  end
  local parts = {}
  for key, value in pairs(totals) do parts[#parts + 1] = string.format('"%s":%d', key, value) end
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d,"non_2xx":%d,' ..
    '"socket":{"connect":%d,"read":%d,"write":%d,"timeout":%d},"statuses":{%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), e.status, e.connect, e.read, e.write, e.timeout, table.concat(parts, ",")))
end
