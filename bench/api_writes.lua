-- wrk script of bench/api_writes.py: one operation per run, chosen by the first argument.
--
--   wrk -t N -c N -s bench/api_writes.lua URL -- noop|create|update TOKEN [BODY | ORDERS]
--
-- noop   GET /api/noop (authenticated, same auth path as the writes)
-- create POST /api/work-orders with the JSON BODY
-- update PATCH /api/work-orders/{id} toggling the priority; ORDERS is "id:version,..." with
--        one order per wrk thread. Run it with as many threads as connections (-t N -c N):
--        each thread then has one connection, so request and response alternate and the
--        thread sends the version read from the previous answer (a 409 answer carries the
--        current version, so a lost update is counted and the next one is real again).
--
-- A response outside 2xx is a failure. done() prints one line "WRK_RESULT {json}" with the
-- counts and latency percentiles (microseconds) that bench/api_writes.py reads.

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("slot", counter)
  table.insert(threads, thread)
end

local op, token
local path, method, body
local order_id, version, priority
local headers = {}
ok, failed = 0, 0

function init(args)
  op, token = args[1], args[2]
  headers["Authorization"] = "Bearer " .. token
  headers["Content-Type"] = "application/json"
  if op == "noop" then
    method, path = "GET", "/api/noop"
  elseif op == "create" then
    method, path, body = "POST", "/api/work-orders", args[3]
  elseif op == "update" then
    local i = 0
    for id, v in string.gmatch(args[3], "(%d+):(%d+)") do
      i = i + 1
      if i == slot then
        order_id, version = id, tonumber(v)
      end
    end
    if order_id == nil then
      error("update: no order for thread " .. slot .. "; pass one per thread")
    end
    method, path, priority = "PATCH", "/api/work-orders/" .. order_id, "high"
  else
    error("unknown operation " .. tostring(op))
  end
end

function request()
  if op == "update" then
    body = string.format('{"version":%d,"priority":"%s"}', version, priority)
  end
  return wrk.format(method, path, headers, body)
end

function response(status, _headers, resp_body)
  if status >= 200 and status < 300 then
    ok = ok + 1
    if op == "update" then
      version = tonumber(string.match(resp_body, '"version":%s*(%d+)'))
      priority = (priority == "high") and "normal" or "high"
    end
  else
    failed = failed + 1
    if op == "update" and status == 409 then
      local current = string.match(resp_body, '"current_version":%s*(%d+)')
      if current then
        version = tonumber(current)
      end
    end
  end
end

function done(summary, latency, _requests)
  local n_ok, n_failed = 0, 0
  for _, t in ipairs(threads) do
    n_ok = n_ok + t:get("ok")
    n_failed = n_failed + t:get("failed")
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"duration_us":%d,"ok":%d,"non_2xx":%d,' ..
      '"socket_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, n_ok, n_failed,
    e.connect + e.read + e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max
  ))
end
