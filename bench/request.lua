-- request.lua — the one wrk script of `make bench` (bench/run.sh): every figure is the same
-- shape (one method, one path, one body, a bearer token), so the request comes from the
-- environment rather than from one script per figure:
--   BENCH_NAME    the figure's name in the report line
--   BENCH_TOKEN   the session token (POST /api/v1/sessions); sent as Authorization: Bearer
--   BENCH_METHOD  GET (default) or POST
--   BENCH_BODY    a JSON body, sent with Content-Type: application/json
-- done() prints ONE line: name, throughput, p50 and p99 latency, requests and errors
-- (wrk counts a status >= 400 as an error: a run full of 401s or 422s must not look fast).

local name = os.getenv("BENCH_NAME") or "request"
local token = os.getenv("BENCH_TOKEN")
local body = os.getenv("BENCH_BODY")

wrk.method = os.getenv("BENCH_METHOD") or "GET"
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
if body and body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end

function done(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.status + e.timeout
  local secs = summary.duration / 1e6
  io.write(string.format("%-40s %9.1f req/s   p50 %8.2f ms   p99 %8.2f ms   (%d requests, %d errors)\n",
    name, summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, errors))
end
