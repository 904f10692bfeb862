-- wrk script for bench/run.py.
--
--   wrk -t2 -c8 -d10s -s bench/wrk_report.lua http://127.0.0.1:8765/api/v1/engagements/ [-- paths.txt]
--
-- Without an argument every request goes to the URL given on the command line. With a file
-- argument (one path per line, e.g. /api/v1/engagements/<uuid>/), each thread walks the paths
-- from a random starting point, so detail benchmarks hit many rows instead of one cached row.
-- done() prints one line "BENCH_JSON {...}" that run.py parses: requests/s, latency percentiles
-- in milliseconds (wrk records them in microseconds) and the error counters (errors_status
-- counts responses that were not 2xx/3xx).

local paths = nil
local index = 0

function init(args)
  local file = args[1]
  if file ~= nil and file ~= "" then
    paths = {}
    for line in io.lines(file) do
      if #line > 0 then
        paths[#paths + 1] = line
      end
    end
    -- Each thread has its own Lua state: seed from the address of a fresh table.
    local address = tonumber(string.match(tostring({}), "0x(%x+)") or "0", 16) or 0
    math.randomseed(os.time() + address % 1000003)
    index = math.random(#paths)
  end
end

function request()
  if paths ~= nil then
    index = index % #paths + 1
    return wrk.format(nil, paths[index])
  end
  return wrk.request()
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_s": %.6f, "rps": %.3f, "mean_ms": %.3f, '
      .. '"p50_ms": %.3f, "p90_ms": %.3f, "p95_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, '
      .. '"bytes": %d, "errors_connect": %d, "errors_read": %d, "errors_write": %d, '
      .. '"errors_status": %d, "errors_timeout": %d}\n',
    summary.requests, seconds, summary.requests / seconds, latency.mean / 1000,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    summary.bytes, e.connect, e.read, e.write, e.status, e.timeout
  ))
end
