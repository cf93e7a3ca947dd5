-- rt-request.lua — the wrk script of bench/compare-rt.sh (Request Tracker 5 side by side with
-- uniops). Same shape as bench/request.lua (one method, one path, one body per figure, taken
-- from the environment) and the same report line, but RT's authentication:
--   BENCH_NAME     the figure's name in the report line
--   BENCH_METHOD   GET (default) or POST
--   BENCH_BODY     a JSON body, sent with Content-Type: application/json
--   BENCH_COOKIES  space-separated session cookies ("RT_SID_…=…"), one per RT web login;
--                  the requests take them in turn, so concurrent requests rarely share one
--                  (RT locks a session while it loads it)
--   BENCH_AUTH     or a whole Authorization header value ("token 1-14-…" for an RT auth
--                  token, checked with bcrypt on every request)
--   BENCH_REFERER  a Referer header: RT refuses a cookie-authenticated REST 2.0 write whose
--                  Referer or Origin is not its own web address (CSRF protection, enforced
--                  for REST 2.0 since Debian's 5.0.3+dfsg-3~deb12u7); a browser on RT's own
--                  pages sends exactly that
-- done() prints ONE line: name, throughput, p50 and p99 latency, requests and errors
-- (wrk counts a status >= 400 as an error: a run full of 401s or 422s must not look fast).

local name = os.getenv("BENCH_NAME") or "request"
local method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
local auth = os.getenv("BENCH_AUTH")
local referer = os.getenv("BENCH_REFERER")

local cookies = {}
for c in string.gmatch(os.getenv("BENCH_COOKIES") or "", "%S+") do
  cookies[#cookies + 1] = c
end

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local next_cookie
local headers = {}
function init(args)
  if auth and auth ~= "" then
    headers["Authorization"] = auth
  end
  if body and body ~= "" then
    headers["Content-Type"] = "application/json"
  end
  if referer and referer ~= "" then
    headers["Referer"] = referer
  end
  -- each thread starts at its own place in the pool
  next_cookie = ((tid or 1) - 1) * 7
end

function request()
  if #cookies > 0 then
    headers["Cookie"] = cookies[next_cookie % #cookies + 1]
    next_cookie = next_cookie + 1
  end
  return wrk.format(method, nil, headers, (body ~= "" and body) or nil)
end

function done(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.status + e.timeout
  local secs = summary.duration / 1e6
  io.write(string.format("%-40s %9.1f req/s   p50 %8.2f ms   p99 %8.2f ms   (%d requests, %d errors)\n",
    name, summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, errors))
end
