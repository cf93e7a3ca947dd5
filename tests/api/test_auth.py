"""Authentication: logging in and out, tokens, lockout, session expiry, password policy,
the forced first-login change, unlock/reset by the administrators, the security policy."""
import time
from datetime import datetime

import pytest

from uniops_client import DEMO_PASSWORD, NEW_PASSWORD, STRONG_PASSWORD, Server, uniq

MIN = 60


def assert_error(r, status, code, field=None):
    assert r.status == status, r
    assert r.error.get("code") == code, r
    assert r.error.get("message"), r
    assert r.error.get("request_id") == r.headers.get("x-request-id"), r
    if field is not None:
        assert r.error.get("field") == field, r


def assert_no_secrets(obj):
    """No password material anywhere in a JSON value."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            assert "password_hash" != k and k != "password", obj
            assert_no_secrets(v)
    elif isinstance(obj, list):
        for v in obj:
            assert_no_secrets(v)
    elif isinstance(obj, str):
        assert not obj.startswith("$argon2"), obj


def parse_time(s):
    return datetime.fromisoformat(s).timestamp()


def change_password(s, token, current, new):
    return s.request("POST", "/api/v1/me/password", {"current_password": current, "new_password": new}, token=token)


# --- logging in ----------------------------------------------------------------------------

def test_login_success(server):
    t0 = time.time()
    r = server.try_login("supervisor")
    assert r.status == 201, r
    j = r.json
    assert j["token"].startswith("uo_") and len(j["token"]) >= 40
    assert abs(parse_time(j["expires_at"]) - (t0 + 12 * 3600)) < 120, j["expires_at"]
    assert j["idle_timeout_s"] == 30 * MIN
    assert j["must_change_password"] is False
    u = j["user"]
    assert u["username"] == "supervisor"
    assert u["roles"] == ["supervisor"]
    assert u["party"] == "supervision"
    assert u["org_name"] == "穗诚信息工程监理有限公司"
    assert "org:read" in u["permissions"]
    assert u["locked"] is False and u["active"] is True
    assert_no_secrets(j)
    me = server.request("GET", "/api/v1/me", token=j["token"])
    assert me.status == 200 and me.json["username"] == "supervisor"
    assert_no_secrets(me.json)
    # every login is a new session with its own token
    r2 = server.try_login("supervisor")
    assert r2.status == 201 and r2.json["token"] != j["token"]


def test_login_wrong_password_is_401(server):
    rec = server.create_user()
    r = server.try_login(rec["username"], "Wrong#Passw0rd")
    assert_error(r, 401, "unauthenticated")
    wrong_msg = r.error["message"]
    assert "token" not in r.json
    # an unknown user gets the very same answer: no way to tell which usernames exist
    r = server.try_login(uniq("nobody"), "Wrong#Passw0rd")
    assert_error(r, 401, "unauthenticated")
    assert r.error["message"] == wrong_msg


def test_login_missing_and_unknown_fields(server):
    r = server.request("POST", "/api/v1/sessions", {})
    assert_error(r, 400, "validation_failed", field="username")
    r = server.request("POST", "/api/v1/sessions", {"username": "sysadmin"})
    assert_error(r, 400, "validation_failed", field="password")
    r = server.request("POST", "/api/v1/sessions", {"password": DEMO_PASSWORD})
    assert_error(r, 400, "validation_failed", field="username")
    r = server.request("POST", "/api/v1/sessions", {"username": "sysadmin", "password": DEMO_PASSWORD, "otp": "1"})
    assert_error(r, 400, "unknown_field", field="otp")
    r = server.request("POST", "/api/v1/sessions", {"username": "sysadmin", "password": None})
    assert_error(r, 400, "validation_failed", field="password")


# --- tokens --------------------------------------------------------------------------------

def test_requests_without_token_are_401(server):
    for method, path in (("GET", "/api/v1/me"), ("GET", "/api/v1/orgs"), ("GET", "/api/v1/users/1"),
                         ("POST", "/api/v1/orgs"), ("GET", "/api/v1/audit"), ("DELETE", "/api/v1/sessions/current"),
                         ("POST", "/api/v1/me/password"), ("GET", "/api/v1/security-policy")):
        r = server.request(method, path)
        assert_error(r, 401, "unauthenticated")


def test_bad_tokens_are_401(server):
    good = server.login("sysadmin")
    for header in ("Bearer uo_notarealtoken", "Bearer " + good + "x", "Bearer " + good[:-1], "Bearer ",
                   "Basic c3lzYWRtaW46VW5pb3BzQDIwMjY=", good, "Token " + good):
        r = server.request("GET", "/api/v1/me", headers={"Authorization": header})
        assert_error(r, 401, "unauthenticated")


def test_bearer_scheme_is_case_insensitive(server):
    token = server.login("sysadmin")
    r = server.request("GET", "/api/v1/me", headers={"Authorization": "bearer " + token})
    assert r.status == 200, r


def test_401_has_www_authenticate(server):
    # RFC 9110 §11.6.1: a 401 response MUST send a WWW-Authenticate challenge.
    r = server.request("GET", "/api/v1/me")
    assert r.status == 401
    assert r.headers.get("www-authenticate", "").lower().startswith("bearer"), r.headers


def test_logout_revokes_the_token(server):
    a = server.try_login("p2.desk").json["token"]
    b = server.try_login("p2.desk").json["token"]
    r = server.request("DELETE", "/api/v1/sessions/current", token=a)
    assert r.status == 204, r
    assert_error(server.request("GET", "/api/v1/me", token=a), 401, "unauthenticated")
    assert_error(server.request("DELETE", "/api/v1/sessions/current", token=a), 401, "unauthenticated")
    # only that session ended
    assert server.request("GET", "/api/v1/me", token=b).status == 200


# --- lockout -------------------------------------------------------------------------------

def test_five_failures_lock_the_account(fresh_server):
    s = fresh_server(demo=True)
    uid = s.user("p2.eng")["id"]
    for i in range(4):
        assert_error(s.try_login("p2.eng", "Wrong#Passw0rd"), 401, "unauthenticated")
    assert s.user("p2.eng")["locked"] is False
    assert_error(s.try_login("p2.eng", "Wrong#Passw0rd"), 423, "account_locked")
    # now even the right password is refused
    assert_error(s.try_login("p2.eng"), 423, "account_locked")
    rec = s.as_user("secadmin", "GET", f"/api/v1/users/{uid}").json
    assert rec["locked"] is True and rec["locked_until"]
    assert parse_time(rec["locked_until"]) - time.time() == pytest.approx(15 * MIN, abs=60)
    # 14 minutes later: still locked
    s.set_clock(14 * MIN)
    assert_error(s.try_login("p2.eng"), 423, "account_locked")
    # 16 minutes later: the lock has expired
    s.set_clock(16 * MIN)
    r = s.try_login("p2.eng")
    assert r.status == 201, r
    # the counter starts again from zero after a successful login
    for i in range(4):
        assert_error(s.try_login("p2.eng", "Wrong#Passw0rd"), 401, "unauthenticated")
    assert s.try_login("p2.eng").status == 201
    s.set_clock(0)


def test_lockout_is_per_account(fresh_server):
    s = fresh_server(demo=True)
    for _ in range(5):
        s.try_login("p2.eng", "Wrong#Passw0rd")
    assert_error(s.try_login("p2.eng"), 423, "account_locked")
    assert s.try_login("p2.desk").status == 201
    assert s.try_login("p2.pm").status == 201


# --- session expiry ------------------------------------------------------------------------

def test_idle_expiry_after_30_minutes(fresh_server):
    s = fresh_server(demo=True)
    a = s.try_login("p1.desk").json["token"]
    b = s.try_login("p1.desk").json["token"]
    s.set_clock(29 * MIN)
    assert s.request("GET", "/api/v1/me", token=a).status == 200   # used: stays alive
    s.set_clock(31 * MIN)
    assert_error(s.request("GET", "/api/v1/me", token=b), 401, "unauthenticated")  # idle 31 min
    assert s.request("GET", "/api/v1/me", token=a).status == 200   # idle 2 min
    s.set_clock(0)


def test_activity_keeps_session_alive_then_absolute_expiry(fresh_server):
    s = fresh_server(demo=True)
    token = s.try_login("p1.eng").json["token"]
    # a request every 20 minutes for two hours
    for k in range(1, 7):
        s.set_clock(k * 20 * MIN)
        r = s.request("GET", "/api/v1/orgs", token=token)
        assert r.status == 200, (k, r)
    # ... and on, until just before 12 hours
    for k in range(7, 36):
        s.set_clock(k * 20 * MIN)
        assert s.request("GET", "/api/v1/me", token=token).status == 200, k
    # 12 hours after login the session ends even though it was used 21 minutes ago
    s.set_clock(12 * 3600 + MIN)
    assert_error(s.request("GET", "/api/v1/me", token=token), 401, "unauthenticated")
    # logging in again works
    r = s.try_login("p1.eng")
    assert r.status == 201
    assert s.request("GET", "/api/v1/me", token=r.json["token"]).status == 200
    s.set_clock(0)


# --- password policy -----------------------------------------------------------------------

@pytest.mark.parametrize("new", [
    "Ab1!",                     # too short
    "Abcde1!",                  # 7 characters
    "abcdefghij",               # one class
    "abcdefg123",               # two classes: lower + digits
    "ABCDEFGH!!",               # two classes: upper + symbols
    "abcdefgh!?",               # two classes: lower + symbols
    "Abcdefg1\x01",             # control character
    "Abcdefg1\x7f",             # DEL
    "Aa1!" * 33,                # 132 characters: too long
])
def test_password_policy_rejects(server, new):
    rec = server.create_user()
    token = server.try_login(rec["username"], STRONG_PASSWORD).json["token"]
    r = change_password(server, token, STRONG_PASSWORD, new)
    assert_error(r, 400, "validation_failed", field="new_password")
    # still the old password
    assert server.try_login(rec["username"], STRONG_PASSWORD).status == 201


def test_password_policy_counts_characters_not_bytes(server):
    # "Ab1密码密码" has 7 characters (15 bytes in UTF-8): below the 8-character minimum.
    rec = server.create_user()
    token = server.try_login(rec["username"], STRONG_PASSWORD).json["token"]
    r = change_password(server, token, STRONG_PASSWORD, "Ab1密码密码")
    assert_error(r, 400, "validation_failed", field="new_password")


def test_password_policy_accepts_and_other_checks(server):
    rec = server.create_user()
    token = server.try_login(rec["username"], STRONG_PASSWORD).json["token"]
    # same as the current one
    assert_error(change_password(server, token, STRONG_PASSWORD, STRONG_PASSWORD), 400, "validation_failed",
                 field="new_password")
    # missing / unknown fields
    r = server.request("POST", "/api/v1/me/password", {"current_password": STRONG_PASSWORD}, token=token)
    assert_error(r, 400, "validation_failed", field="new_password")
    r = server.request("POST", "/api/v1/me/password",
                       {"current_password": STRONG_PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
                       token=token)
    assert_error(r, 400, "unknown_field", field="confirm")
    # exactly 8 characters with three classes is enough; so is a non-ASCII symbol
    r = change_password(server, token, STRONG_PASSWORD, "Abcdefg1")
    assert r.status == 204, r
    r = change_password(server, token, "Abcdefg1", "abcdefg1密")
    assert r.status == 204, r
    assert server.try_login(rec["username"], "abcdefg1密").status == 201


def test_change_password_with_wrong_current(server):
    rec = server.create_user()
    token = server.try_login(rec["username"], STRONG_PASSWORD).json["token"]
    r = change_password(server, token, "Not#TheCurrent1", NEW_PASSWORD)
    assert_error(r, 400, "validation_failed", field="current_password")
    assert server.try_login(rec["username"], STRONG_PASSWORD).status == 201
    assert_error(server.try_login(rec["username"], NEW_PASSWORD), 401, "unauthenticated")


# --- first login ---------------------------------------------------------------------------

def test_new_user_must_change_password_first(server):
    rec = server.create_user(org_id=4, roles=["requester"])
    assert rec["must_change_password"] is True
    r = server.try_login(rec["username"], STRONG_PASSWORD)
    assert r.status == 201, r
    assert r.json["must_change_password"] is True
    token = r.json["token"]
    blocked = [("GET", "/api/v1/orgs", None), ("GET", "/api/v1/orgs/1", None), ("GET", "/api/v1/users", None),
               ("GET", f"/api/v1/users/{rec['id']}", None), ("GET", "/api/v1/roles", None),
               ("GET", "/api/v1/audit", None), ("GET", "/api/v1/security-policy", None),
               ("POST", "/api/v1/orgs", {"name": uniq("x"), "party": "customer"}),
               ("PATCH", "/api/v1/orgs/2", {"name": uniq("x")})]
    for method, path, body in blocked:
        r = server.request(method, path, body, token=token, headers={"If-Match": '"1"'})
        assert_error(r, 403, "password_change_required")
    me = server.request("GET", "/api/v1/me", token=token)
    assert me.status == 200 and me.json["must_change_password"] is True
    assert_no_secrets(me.json)
    r = change_password(server, token, STRONG_PASSWORD, NEW_PASSWORD)
    assert r.status == 204, r
    # the same session now works
    assert server.request("GET", "/api/v1/me", token=token).json["must_change_password"] is False
    r = server.request("GET", "/api/v1/orgs", token=token)
    assert r.status == 200, r
    # ... within the user's permissions (a requester does not list users)
    assert_error(server.request("GET", "/api/v1/users", token=token), 403, "forbidden")
    r = server.try_login(rec["username"], NEW_PASSWORD)
    assert r.status == 201 and r.json["must_change_password"] is False
    assert_error(server.try_login(rec["username"], STRONG_PASSWORD), 401, "unauthenticated")


def test_logout_allowed_before_password_change(server):
    rec = server.create_user()
    token = server.try_login(rec["username"], STRONG_PASSWORD).json["token"]
    assert server.request("DELETE", "/api/v1/sessions/current", token=token).status == 204
    assert_error(server.request("GET", "/api/v1/me", token=token), 401, "unauthenticated")


def test_password_change_revokes_other_sessions(server):
    rec, pw = server.ready_user()
    a = server.try_login(rec["username"], pw).json["token"]
    b = server.try_login(rec["username"], pw).json["token"]
    c = server.tokens[rec["username"]]
    r = change_password(server, a, pw, "An0ther#Secret")
    assert r.status == 204, r
    assert server.request("GET", "/api/v1/me", token=a).status == 200
    assert_error(server.request("GET", "/api/v1/me", token=b), 401, "unauthenticated")
    assert_error(server.request("GET", "/api/v1/me", token=c), 401, "unauthenticated")
    server.forget(rec["username"])
    assert_error(server.try_login(rec["username"], pw), 401, "unauthenticated")
    assert server.try_login(rec["username"], "An0ther#Secret").status == 201


# --- unlock and reset by the administrators ------------------------------------------------

def test_secadmin_unlocks_a_locked_account(server):
    rec, pw = server.ready_user()
    for _ in range(5):
        server.try_login(rec["username"], "Wrong#Passw0rd")
    assert_error(server.try_login(rec["username"], pw), 423, "account_locked")
    assert server.as_user("secadmin", "GET", f"/api/v1/users/{rec['id']}").json["locked"] is True
    # the system administrator may not unlock (security administrator's duty)
    assert_error(server.as_user("sysadmin", "POST", f"/api/v1/users/{rec['id']}/unlock"), 403, "forbidden")
    # no body expected
    r = server.as_user("secadmin", "POST", f"/api/v1/users/{rec['id']}/unlock", {"now": True})
    assert_error(r, 400, "bad_request")
    r = server.as_user("secadmin", "POST", f"/api/v1/users/{rec['id']}/unlock")
    assert r.status == 200, r
    assert r.json["locked"] is False and r.json["locked_until"] is None
    assert_no_secrets(r.json)
    assert server.try_login(rec["username"], pw).status == 201
    assert_error(server.as_user("secadmin", "POST", "/api/v1/users/999999/unlock"), 404, "not_found")


def test_sysadmin_reset_password_forces_change(server):
    rec, pw = server.ready_user()
    old_token = server.tokens[rec["username"]]
    uid = rec["id"]
    r = server.as_user("sysadmin", "POST", f"/api/v1/users/{uid}/password", {"password": "weak"})
    assert_error(r, 400, "validation_failed", field="password")
    r = server.as_user("sysadmin", "POST", f"/api/v1/users/{uid}/password", {"password": "Reset#Pass99", "x": 1})
    assert_error(r, 400, "unknown_field", field="x")
    r = server.as_user("sysadmin", "POST", f"/api/v1/users/{uid}/password", {})
    assert_error(r, 400, "validation_failed", field="password")
    assert_error(server.as_user("secadmin", "POST", f"/api/v1/users/{uid}/password", {"password": "Reset#Pass99"}),
                 403, "forbidden")
    r = server.as_user("sysadmin", "POST", f"/api/v1/users/{uid}/password", {"password": "Reset#Pass99"})
    assert r.status == 200, r
    assert r.json["must_change_password"] is True
    assert_no_secrets(r.json)
    # the user's sessions ended; the old password no longer works
    assert_error(server.request("GET", "/api/v1/me", token=old_token), 401, "unauthenticated")
    server.forget(rec["username"])
    assert_error(server.try_login(rec["username"], pw), 401, "unauthenticated")
    r = server.try_login(rec["username"], "Reset#Pass99")
    assert r.status == 201 and r.json["must_change_password"] is True
    token = r.json["token"]
    assert_error(server.request("GET", "/api/v1/orgs", token=token), 403, "password_change_required")
    assert change_password(server, token, "Reset#Pass99", "Fin4l#Secret").status == 204
    assert server.request("GET", "/api/v1/orgs", token=token).status == 200


def test_sysadmin_cannot_reset_the_other_administrators_passwords(fresh_server):
    # Separation of duties (三员分立): if the system administrator could set the security or
    # audit administrator's password, they could log in as them and act unobserved.
    s = fresh_server(demo=True)
    for victim in ("auditor", "secadmin"):
        uid = s.user(victim)["id"]
        r = s.as_user("sysadmin", "POST", f"/api/v1/users/{uid}/password", {"password": "Takeover#2026"})
        assert_error(r, 403, "forbidden")
        assert_error(s.try_login(victim, "Takeover#2026"), 401, "unauthenticated")


# --- the security policy -------------------------------------------------------------------

@pytest.fixture(scope="module")
def policy_server():
    """One isolated server for the policy validation cases (rejected patches change nothing)."""
    s = Server(demo=True)
    yield s
    s.close()


DEFAULT_POLICY = {"password_min_length": 8, "password_min_classes": 3, "lockout_threshold": 5,
                  "lockout_minutes": 15, "session_idle_minutes": 30, "session_max_hours": 12}


def get_policy(s):
    r = s.as_user("secadmin", "GET", "/api/v1/security-policy")
    assert r.status == 200, r
    assert r.headers["etag"] == f'"{r.json["version"]}"'
    return r.json


def patch_policy(s, body, version):
    return s.as_user("secadmin", "PATCH", "/api/v1/security-policy", body, headers={"If-Match": f'"{version}"'})


def test_policy_get_and_patch(fresh_server):
    s = fresh_server(demo=True)
    p = get_policy(s)
    assert {k: p[k] for k in DEFAULT_POLICY} == DEFAULT_POLICY
    v = p["version"]
    r = s.as_user("secadmin", "PATCH", "/api/v1/security-policy", {"lockout_minutes": 20})
    assert_error(r, 428, "precondition_required", field="If-Match")
    assert_error(patch_policy(s, {"lockout_minutes": 20}, v + 5), 409, "version_conflict")
    r = s.as_user("secadmin", "PATCH", "/api/v1/security-policy", {"lockout_minutes": 20}, headers={"If-Match": "abc"})
    assert_error(r, 400, "bad_request", field="If-Match")
    r = patch_policy(s, {"lockout_minutes": 20, "session_idle_minutes": 45}, v)
    assert r.status == 200, r
    assert r.json["lockout_minutes"] == 20 and r.json["session_idle_minutes"] == 45
    assert r.json["version"] == v + 1
    assert r.headers["etag"] == f'"{v + 1}"'
    assert get_policy(s)["lockout_minutes"] == 20
    # the old version is stale now
    assert_error(patch_policy(s, {"lockout_minutes": 30}, v), 409, "version_conflict")
    # W/"n" and bare n are accepted as If-Match
    r = s.as_user("secadmin", "PATCH", "/api/v1/security-policy", {"lockout_minutes": 25},
                  headers={"If-Match": f'W/"{v + 1}"'})
    assert r.status == 200, r
    r = s.as_user("secadmin", "PATCH", "/api/v1/security-policy", {"lockout_minutes": 15},
                  headers={"If-Match": str(v + 2)})
    assert r.status == 200, r


@pytest.mark.parametrize("body,field,code", [
    ({"password_min_length": 7}, "password_min_length", "validation_failed"),
    ({"password_min_length": 65}, "password_min_length", "validation_failed"),
    ({"password_min_classes": 2}, "password_min_classes", "validation_failed"),
    ({"password_min_classes": 5}, "password_min_classes", "validation_failed"),
    ({"lockout_threshold": 2}, "lockout_threshold", "validation_failed"),
    ({"lockout_threshold": 21}, "lockout_threshold", "validation_failed"),
    ({"lockout_minutes": 0}, "lockout_minutes", "validation_failed"),
    ({"lockout_minutes": 1441}, "lockout_minutes", "validation_failed"),
    ({"session_idle_minutes": 4}, "session_idle_minutes", "validation_failed"),
    ({"session_idle_minutes": 241}, "session_idle_minutes", "validation_failed"),
    ({"session_max_hours": 0}, "session_max_hours", "validation_failed"),
    ({"session_max_hours": 25}, "session_max_hours", "validation_failed"),
    ({"lockout_threshold": "5"}, "lockout_threshold", "validation_failed"),
    ({"lockout_threshold": 5.5}, "lockout_threshold", "validation_failed"),
    ({"lockout_threshold": None}, "lockout_threshold", "validation_failed"),
    ({"mfa_required": True}, "mfa_required", "unknown_field"),
    ({"version": 9}, "version", "unknown_field"),
    ({"lockout_minutes": 10, "session_max_hours": 99}, "session_max_hours", "validation_failed"),
])
def test_policy_bounds(policy_server, body, field, code):
    s = policy_server
    before = get_policy(s)
    assert_error(patch_policy(s, body, before["version"]), 400, code, field=field)
    assert get_policy(s) == before      # nothing applied, not even the valid part


def test_policy_empty_patch(fresh_server):
    s = fresh_server(demo=True)
    p = get_policy(s)
    assert_error(patch_policy(s, {}, p["version"]), 400, "validation_failed")


def test_policy_lockout_changes_take_effect(fresh_server):
    s = fresh_server(demo=True)
    p = get_policy(s)
    assert patch_policy(s, {"lockout_threshold": 3, "lockout_minutes": 2}, p["version"]).status == 200
    for _ in range(2):
        assert_error(s.try_login("p2.eng", "Wrong#Passw0rd"), 401, "unauthenticated")
    assert_error(s.try_login("p2.eng", "Wrong#Passw0rd"), 423, "account_locked")
    assert_error(s.try_login("p2.eng"), 423, "account_locked")
    s.set_clock(1 * MIN)
    assert_error(s.try_login("p2.eng"), 423, "account_locked")
    s.set_clock(3 * MIN)
    assert s.try_login("p2.eng").status == 201
    s.set_clock(0)


def test_policy_password_length_takes_effect(fresh_server):
    s = fresh_server(demo=True)
    p = get_policy(s)
    assert patch_policy(s, {"password_min_length": 12}, p["version"]).status == 200
    token = s.try_login("p2.pm").json["token"]
    r = change_password(s, token, DEMO_PASSWORD, "Abcdefgh12!")          # 11 characters
    assert_error(r, 400, "validation_failed", field="new_password")
    assert "12" in r.error["message"]
    # a new user's initial password, and a reset, follow the policy too
    r = s.as_user("sysadmin", "POST", "/api/v1/users",
                  {"username": uniq("u"), "display_name": "X", "org_id": 4, "roles": ["requester"],
                   "password": "Abcdefgh12!"})
    assert_error(r, 400, "validation_failed", field="password")
    uid = s.user("p2.desk")["id"]
    r = s.as_user("sysadmin", "POST", f"/api/v1/users/{uid}/password", {"password": "Abcdefgh12!"})
    assert_error(r, 400, "validation_failed", field="password")
    assert change_password(s, token, DEMO_PASSWORD, "Abcdefgh123!").status == 204


def test_policy_classes_take_effect(fresh_server):
    s = fresh_server(demo=True)
    p = get_policy(s)
    assert patch_policy(s, {"password_min_classes": 4}, p["version"]).status == 200
    token = s.try_login("p2.pm").json["token"]
    assert_error(change_password(s, token, DEMO_PASSWORD, "Abcdefgh12"), 400, "validation_failed",
                 field="new_password")
    assert change_password(s, token, DEMO_PASSWORD, "Abcdefgh12!").status == 204


def test_policy_idle_timeout_takes_effect(fresh_server):
    s = fresh_server(demo=True)
    p = get_policy(s)
    assert patch_policy(s, {"session_idle_minutes": 5}, p["version"]).status == 200
    r = s.try_login("p2.pm")
    assert r.json["idle_timeout_s"] == 5 * MIN
    s.set_clock(6 * MIN)
    assert_error(s.request("GET", "/api/v1/me", token=r.json["token"]), 401, "unauthenticated")
    s.set_clock(0)


def test_policy_is_only_for_secadmin(server):
    p = server.as_user("secadmin", "GET", "/api/v1/security-policy").json
    for who in ("sysadmin", "auditor", "ops.manager", "supervisor", "edu.admin", "p1.pm"):
        assert_error(server.as_user(who, "GET", "/api/v1/security-policy"), 403, "forbidden")
        r = server.as_user(who, "PATCH", "/api/v1/security-policy", {"lockout_threshold": 10},
                           headers={"If-Match": f'"{p["version"]}"'})
        assert_error(r, 403, "forbidden")
    assert server.as_user("secadmin", "GET", "/api/v1/security-policy").json == p
