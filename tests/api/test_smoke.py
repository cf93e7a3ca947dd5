"""The first things a new user does: health, readiness, logging in."""


def test_healthz_and_readyz(server):
    assert server.request("GET", "/healthz").json == {"status": "ok"}
    assert server.request("GET", "/readyz").json == {"status": "ready"}


def test_demo_login_and_me(server):
    r = server.as_user("sysadmin", "GET", "/api/v1/me")
    assert r.status == 200, r
    assert r.json["username"] == "sysadmin"
    assert r.json["roles"] == ["sysadmin"]
    assert r.json["party"] == "management"
    assert "x-request-id" in r.headers
