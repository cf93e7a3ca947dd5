"""HTTP plumbing: request ids, error bodies, body limits, JSON parsing, metrics, access log,
graceful shutdown, readiness."""
import http.client
import json
import re
import threading
import time

from uniops_client import DEMO_PASSWORD, uniq

RID_RE = re.compile(r"^[0-9a-f]{24}$")


def assert_error(r, status, code, field=None):
    """The response is the standard error body with this status and code (and field)."""
    assert r.status == status, r
    assert r.headers.get("content-type", "").startswith("application/json"), r.headers
    err = r.error
    assert err.get("code") == code, r
    assert isinstance(err.get("message"), str) and err["message"], r
    assert err.get("request_id") == r.headers.get("x-request-id"), r
    if field is not None:
        assert err.get("field") == field, r
    return err


# --- request ids ---------------------------------------------------------------------------

def test_every_response_has_a_request_id(server):
    token = server.login("sysadmin")
    responses = [
        server.request("GET", "/healthz"),
        server.request("GET", "/readyz"),
        server.request("GET", "/metrics"),
        server.request("GET", "/api/v1/me", token=token),
        server.request("GET", "/api/v1/orgs", token=token),
        server.request("GET", "/api/v1/orgs"),                      # 401
        server.request("GET", "/no/such/path"),                      # 404
        server.request("DELETE", "/api/v1/orgs", token=token),       # 405
        server.request("POST", "/api/v1/sessions", raw=b"{oops"),    # 400
    ]
    seen = set()
    for r in responses:
        rid = r.headers.get("x-request-id")
        assert rid and RID_RE.match(rid), (r, r.headers)
        seen.add(rid)
    assert len(seen) == len(responses), "request ids must be unique per request"


def test_request_id_on_204(server):
    r = server.try_login("supervisor")
    assert r.status == 201, r
    r = server.request("DELETE", "/api/v1/sessions/current", token=r.json["token"])
    assert r.status == 204, r
    assert r.body == ""
    assert RID_RE.match(r.headers.get("x-request-id", "")), r.headers


def test_valid_client_request_id_is_echoed(server):
    for rid in ("abcdef12", "trace-0001_ABC", "a" * 36, "123e4567-e89b-12d3-a456-426614174000"):
        r = server.request("GET", "/healthz", headers={"X-Request-Id": rid})
        assert r.status == 200
        assert r.headers["x-request-id"] == rid
    # ... and it is the one in error bodies too
    r = server.request("GET", "/api/v1/nothing-here", headers={"X-Request-Id": "client-req-42"})
    assert r.status == 404
    assert r.headers["x-request-id"] == "client-req-42"
    assert r.error["request_id"] == "client-req-42"


def test_invalid_client_request_id_is_replaced(server):
    for bad in ("short", "a" * 37, "has space inside", "semi;colon12", "ünïcödé-id-1"):
        r = server.request("GET", "/healthz", headers={"X-Request-Id": bad.encode("utf-8").decode("latin-1")})
        assert r.status == 200
        assert r.headers["x-request-id"] != bad
        assert RID_RE.match(r.headers["x-request-id"]), r.headers


# --- routing errors ------------------------------------------------------------------------

def test_unknown_path_is_404_json(server):
    for path in ("/nope", "/api/v1/orgz", "/api/v1/orgs/1/extra", "/api/v2/orgs", "/api/v1/orgs/"):
        r = server.request("GET", path)
        err = assert_error(r, 404, "not_found")
        assert "no such endpoint" in err["message"]


def test_unknown_path_is_404_even_with_token(server):
    r = server.as_user("sysadmin", "GET", "/api/v1/does-not-exist")
    assert_error(r, 404, "not_found")


def test_wrong_method_is_405(server):
    token = server.login("sysadmin")
    for method, path in (("DELETE", "/api/v1/orgs"), ("PUT", "/api/v1/orgs/1"), ("POST", "/healthz"),
                         ("GET", "/api/v1/sessions"), ("DELETE", "/api/v1/orgs/1"), ("PATCH", "/api/v1/users")):
        r = server.request(method, path, token=token)
        assert_error(r, 405, "method_not_allowed")


def test_405_lists_allowed_methods(server):
    # RFC 9110 §15.5.6: a 405 response MUST carry an Allow header with the supported methods.
    r = server.request("DELETE", "/api/v1/orgs")
    assert r.status == 405, r
    assert "allow" in r.headers, r.headers
    allowed = {m.strip() for m in r.headers["allow"].split(",")}
    assert allowed == {"GET", "POST"}, r.headers


# --- request bodies ------------------------------------------------------------------------

def test_body_over_limit_is_413(fresh_server):
    s = fresh_server(demo=True, args=["--max-body", "2048"])
    big = json.dumps({"username": "sysadmin", "password": "x" * 4096}).encode()
    assert len(big) > 4096
    r = s.request("POST", "/api/v1/sessions", raw=big, headers={"Content-Type": "application/json"})
    err = assert_error(r, 413, "payload_too_large")
    assert "2048" in err["message"]
    # an authenticated create over the limit is refused too, and nothing is created
    token = s.login("sysadmin")
    body = json.dumps({"name": "big" + "y" * 4000, "party": "customer"}).encode()
    r = s.request("POST", "/api/v1/orgs", raw=body, token=token, headers={"Content-Type": "application/json"})
    assert_error(r, 413, "payload_too_large")
    # a body just under the limit is fine
    small = json.dumps({"username": "sysadmin", "password": DEMO_PASSWORD, }).encode()
    r = s.request("POST", "/api/v1/sessions", raw=small + b" " * (2000 - len(small)),
                  headers={"Content-Type": "application/json"})
    assert r.status == 201, r
    # the server still serves after refusing
    assert s.request("GET", "/healthz").status == 200


def test_chunked_body_over_limit_is_413(fresh_server):
    s = fresh_server(demo=False, args=["--max-body", "2048"])
    conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
    chunks = [b'{"username":"sysadmin","password":"'] + [b"x" * 512] * 8 + [b'"}']
    conn.request("POST", "/api/v1/sessions", body=iter(chunks), encode_chunked=True,
                 headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
    resp = conn.getresponse()
    body = json.loads(resp.read())
    conn.close()
    assert resp.status == 413, body
    assert body["error"]["code"] == "payload_too_large"


def test_malformed_json_reports_line_and_column(server):
    r = server.request("POST", "/api/v1/sessions", raw=b'{"username": "sysadmin",\n "password": }',
                       headers={"Content-Type": "application/json"})
    err = assert_error(r, 400, "malformed_json")
    m = re.search(r"line (\d+), column (\d+)", err["message"])
    assert m, err
    assert m.group(1) == "2", err
    r = server.request("POST", "/api/v1/sessions", raw=b'{"username": "a"', headers={"Content-Type": "application/json"})
    err = assert_error(r, 400, "malformed_json")
    assert re.search(r"line \d+, column \d+", err["message"]), err


def test_malformed_json_on_authenticated_write(server):
    r = server.as_user("sysadmin", "POST", "/api/v1/orgs", raw=b"{'name': 'single quotes'}",
                       headers={"Content-Type": "application/json"})
    err = assert_error(r, 400, "malformed_json")
    assert re.search(r"line 1, column \d+", err["message"]), err


def test_empty_body_is_400(server):
    r = server.request("POST", "/api/v1/sessions", raw=b"")
    assert_error(r, 400, "malformed_json")


def test_body_must_be_an_object(server):
    for raw in (b"[]", b'["sysadmin", "x"]', b'[{"username": "sysadmin"}]'):
        r = server.request("POST", "/api/v1/sessions", raw=raw, headers={"Content-Type": "application/json"})
        err = assert_error(r, 400, "malformed_json")
        assert "object" in err["message"], (raw, err)
    for raw in (b'"text"', b"42", b"null", b"true"):      # a bare scalar is not a JSON document here
        r = server.request("POST", "/api/v1/sessions", raw=raw, headers={"Content-Type": "application/json"})
        assert_error(r, 400, "malformed_json")
    r = server.as_user("sysadmin", "POST", "/api/v1/orgs", raw=b'[{"name": "x", "party": "customer"}]',
                       headers={"Content-Type": "application/json"})
    assert_error(r, 400, "malformed_json")


def test_duplicate_keys_are_rejected(server):
    raw = b'{"username": "sysadmin", "password": "wrong", "password": "' + DEMO_PASSWORD.encode() + b'"}'
    r = server.request("POST", "/api/v1/sessions", raw=raw, headers={"Content-Type": "application/json"})
    err = assert_error(r, 400, "malformed_json")
    assert "password" in err["message"] or "duplicate" in err["message"].lower(), err
    raw = b'{"name": "dup-a", "name": "dup-b", "party": "customer"}'
    r = server.as_user("sysadmin", "POST", "/api/v1/orgs", raw=raw, headers={"Content-Type": "application/json"})
    assert_error(r, 400, "malformed_json")


def test_unknown_field_is_400_and_named(server):
    r = server.request("POST", "/api/v1/sessions", {"username": "sysadmin", "password": DEMO_PASSWORD, "remember": True})
    assert_error(r, 400, "unknown_field", field="remember")
    r = server.as_user("sysadmin", "POST", "/api/v1/orgs", {"name": uniq("Org "), "party": "customer", "colour": "red"})
    err = assert_error(r, 400, "unknown_field", field="colour")
    assert "colour" in err["message"]


def test_wrong_type_names_the_field(server):
    r = server.request("POST", "/api/v1/sessions", {"username": 42, "password": DEMO_PASSWORD})
    assert_error(r, 400, "validation_failed", field="username")
    r = server.as_user("sysadmin", "POST", "/api/v1/orgs", {"name": 12345, "party": "customer"})
    assert_error(r, 400, "validation_failed", field="name")
    r = server.as_user("sysadmin", "POST", "/api/v1/orgs", {"name": uniq("Org "), "party": "customer", "parent_id": "2"})
    assert_error(r, 400, "validation_failed", field="parent_id")
    r = server.as_user("sysadmin", "POST", "/api/v1/orgs", {"name": uniq("Org "), "party": ["customer"]})
    assert_error(r, 400, "validation_failed", field="party")


# --- metrics -------------------------------------------------------------------------------

def metric_value(text, name, **labels):
    """The value of the sample `name{labels…}` (labels matched as a subset), or 0."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$", line)
        assert m, f"not Prometheus text: {line!r}"
        if m.group(1) != name:
            continue
        got = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        if all(got.get(k) == v for k, v in labels.items()):
            total += float(m.group(4))
    return total


def test_metrics_prometheus_text(server):
    server.request("GET", "/healthz")
    server.as_user("sysadmin", "GET", "/api/v1/orgs")
    r = server.request("GET", "/metrics")
    assert r.status == 200
    assert r.headers["content-type"].startswith("text/plain"), r.headers
    assert "version=0.0.4" in r.headers["content-type"]
    text = r.body
    assert "# TYPE uniops_http_requests_total counter" in text
    assert "# TYPE uniops_http_request_duration_seconds histogram" in text
    assert "# TYPE process_start_time_seconds gauge" in text
    assert metric_value(text, "uniops_http_requests_total", route="/healthz", status="200") >= 1
    assert metric_value(text, "uniops_http_requests_total", method="GET", route="/api/v1/orgs", status="200") >= 1
    # histogram: buckets are cumulative, +Inf equals _count
    buckets = []
    for line in text.splitlines():
        m = re.match(r'uniops_http_request_duration_seconds_bucket\{method="GET",route="/api/v1/orgs",le="([^"]+)"\} (\d+)', line)
        if m:
            buckets.append((m.group(1), int(m.group(2))))
    assert len(buckets) >= 5, text
    assert buckets[-1][0] == "+Inf"
    counts = [c for _, c in buckets]
    assert counts == sorted(counts), buckets
    assert buckets[-1][1] == metric_value(text, "uniops_http_request_duration_seconds_count", route="/api/v1/orgs",
                                          method="GET")
    assert metric_value(text, "uniops_http_request_duration_seconds_sum", route="/api/v1/orgs", method="GET") > 0
    # process start time is a plausible epoch
    start = metric_value(text, "process_start_time_seconds")
    assert abs(start - time.time()) < 24 * 3600, start
    # every non-comment line parses
    for line in text.splitlines():
        if line and not line.startswith("#"):
            assert re.match(r"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? [0-9.e+-]+$", line), line


def test_metrics_counts_grow(server):
    before = server.request("GET", "/metrics").body
    for _ in range(3):
        assert server.request("GET", "/readyz").status == 200
    server.request("GET", "/api/v1/orgs/1")           # 401
    server.request("GET", "/definitely/unmatched")     # 404
    after = server.request("GET", "/metrics").body
    assert metric_value(after, "uniops_http_requests_total", route="/readyz", status="200") == \
        metric_value(before, "uniops_http_requests_total", route="/readyz", status="200") + 3
    assert metric_value(after, "uniops_http_requests_total", route="/api/v1/orgs/{id}", status="401") == \
        metric_value(before, "uniops_http_requests_total", route="/api/v1/orgs/{id}", status="401") + 1
    assert metric_value(after, "uniops_http_requests_total", route="unmatched", status="404") == \
        metric_value(before, "uniops_http_requests_total", route="unmatched", status="404") + 1
    assert metric_value(after, "uniops_http_request_duration_seconds_count", route="/readyz") == \
        metric_value(before, "uniops_http_request_duration_seconds_count", route="/readyz") + 3


# --- access log ----------------------------------------------------------------------------

def log_lines(s):
    out = []
    for line in s.log_text().splitlines():
        line = line.strip()
        if line:
            out.append(json.loads(line))   # every line of the log is one JSON object
    return out


def test_access_log_line_per_request(fresh_server):
    s = fresh_server(demo=True)
    token = s.login("sysadmin")
    s.request("GET", "/api/v1/orgs/2", token=token, headers={"X-Request-Id": "log-test-get-1"})
    s.request("GET", "/api/v1/orgs/2", headers={"X-Request-Id": "log-test-anon-1"})
    s.request("DELETE", "/api/v1/orgs", token=token, headers={"X-Request-Id": "log-test-405-1"})
    s.request("GET", "/nowhere", headers={"X-Request-Id": "log-test-404-1"})
    time.sleep(0.1)
    lines = log_lines(s)
    by_id = {}
    for ln in lines:
        if ln.get("msg") == "request":
            by_id.setdefault(ln["request_id"], []).append(ln)
    for rid in ("log-test-get-1", "log-test-anon-1", "log-test-405-1", "log-test-404-1"):
        assert len(by_id.get(rid, [])) == 1, (rid, by_id.get(rid))
    ln = by_id["log-test-get-1"][0]
    assert ln["user"] == "sysadmin"
    assert ln["method"] == "GET"
    assert ln["route"] == "/api/v1/orgs/{id}"
    assert ln["status"] == 200
    assert isinstance(ln["duration_ms"], (int, float)) and ln["duration_ms"] >= 0
    assert ln["level"] == "info" and "ts" in ln
    anon = by_id["log-test-anon-1"][0]
    assert anon["user"] == "" and anon["status"] == 401 and anon["route"] == "/api/v1/orgs/{id}"
    assert by_id["log-test-405-1"][0]["status"] == 405
    nf = by_id["log-test-404-1"][0]
    assert nf["status"] == 404 and nf["route"] == "unmatched"
    # one access line per request: count them against requests the test made
    n_before = sum(1 for ln in log_lines(s) if ln.get("msg") == "request")
    for _ in range(5):
        s.request("GET", "/healthz")
    time.sleep(0.1)
    n_after = sum(1 for ln in log_lines(s) if ln.get("msg") == "request")
    assert n_after - n_before == 5


def test_access_log_never_contains_passwords_or_tokens(fresh_server):
    s = fresh_server(demo=True)
    r = s.try_login("sysadmin")
    token = r.json["token"]
    s.request("GET", "/api/v1/me", token=token)
    s.try_login("sysadmin", "Wrong#Passw0rd")
    time.sleep(0.1)
    text = s.log_text()
    assert DEMO_PASSWORD not in text
    assert "Wrong#Passw0rd" not in text
    assert token not in text


# --- graceful stop -------------------------------------------------------------------------

def test_sigterm_stops_gracefully(fresh_server):
    s = fresh_server(demo=False)
    assert s.request("GET", "/healthz").status == 200
    rc = s.stop()
    assert rc == 0
    log = s.log_text()
    msgs = [json.loads(line).get("msg") for line in log.splitlines() if line.strip()]
    assert "stopping" in msgs and "stopped" in msgs, log


def test_sigterm_lets_requests_in_flight_finish(fresh_server):
    s = fresh_server(demo=True)
    users = ["sysadmin", "secadmin", "auditor", "supervisor", "p1.desk", "p2.desk"]
    results = {}

    def login(u):
        try:
            results[u] = s.try_login(u)
        except Exception as e:  # noqa: BLE001 - recorded and asserted below
            results[u] = e

    threads = [threading.Thread(target=login, args=(u,)) for u in users]
    for t in threads:
        t.start()
    time.sleep(0.05)        # the logins are in argon2 (≈0.1 s each, two at a time: ≥0.3 s in all)
    rc = s.stop()           # SIGTERM while they are in flight
    for t in threads:
        t.join(30)
    assert rc == 0, s.log_text()
    for u in users:
        r = results.get(u)
        assert not isinstance(r, Exception), (u, r)
        assert r is not None and r.status == 201, (u, r)
        assert r.json["token"].startswith("uo_")
    log = s.log_text()
    stopping = [json.loads(line) for line in log.splitlines() if '"msg":"stopping"' in line]
    assert stopping and stopping[0]["in_flight"] >= 1, log
    assert '"msg":"stopped"' in log


# --- health --------------------------------------------------------------------------------

def test_readyz(server):
    r = server.request("GET", "/readyz")
    assert r.status == 200
    assert r.json == {"status": "ready"}
    assert r.headers["content-type"].startswith("application/json")


def test_healthz_needs_no_auth_and_has_no_cache(server):
    r = server.request("GET", "/healthz")
    assert r.status == 200 and r.json == {"status": "ok"}
    assert r.headers.get("cache-control") == "no-store"
    assert r.headers.get("x-content-type-options") == "nosniff"


def test_test_clock_validation(server):
    r = server.request("PUT", "/api/v1/test/clock", {"offset_s": "soon"})
    assert_error(r, 400, "validation_failed", field="offset_s")
    r = server.request("PUT", "/api/v1/test/clock", {"offset_s": 0, "extra": 1})
    assert_error(r, 400, "validation_failed", field="offset_s")
    r = server.request("PUT", "/api/v1/test/clock", {"offset_s": 0})
    assert r.status == 200 and r.json == {"offset_s": 0}


def test_test_clock_absent_without_seam(fresh_server):
    s = fresh_server(demo=False, extra_env={"UNIOPS_TEST_CLOCK": "0"})
    r = s.request("PUT", "/api/v1/test/clock", {"offset_s": 3600})
    assert_error(r, 404, "not_found")
