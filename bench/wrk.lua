-- Rotates over the request paths in the file named by WRK_PATHS (one a line) and prints the
-- figures the bench reads as one JSON line at the end. Optional header: WRK_COOKIE.
local paths = {}
local counter = 0
local visitor = 0
local headers = {}

function init(args)
  local f = assert(io.open(os.getenv("WRK_PATHS"), "r"))
  for line in f:lines() do
    if #line > 0 then paths[#paths + 1] = line end
  end
  f:close()
  local cookie = os.getenv("WRK_COOKIE")
  if cookie and #cookie > 0 then headers["Cookie"] = cookie end
  math.randomseed(os.time() + (tonumber(tostring({}):sub(8), 16) or 0))
  counter = math.random(#paths)
  visitor = math.random(65535)
end

-- Each request comes from another visitor (X-Forwarded-For from the IPv6 documentation prefix
-- 2001:db8::/32, one /64 each; a header only, no traffic leaves loopback), so the production
-- rate limit runs on every request and never blocks the bench, as with many real visitors.
function request()
  counter = counter % #paths + 1
  visitor = (visitor + 7919) % 65536
  headers["X-Forwarded-For"] = string.format("2001:db8:%x:%x::1", visitor, math.random(65535))
  return wrk.format("GET", paths[counter], headers)
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format(
    'BENCHJSON {"requests": %d, "seconds": %.3f, "rps": %.1f, "p50_ms": %.2f, ' ..
    '"p95_ms": %.2f, "p99_ms": %.2f, "errors": %d, "non2xx": %d}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
