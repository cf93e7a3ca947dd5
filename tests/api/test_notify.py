"""Notifications: subscriptions, the transactional outbox, signed deliveries to local stub
receivers (generic webhook, WeCom, DingTalk, Feishu), retries and dead letters."""
import base64
import hashlib
import hmac
import time
import urllib.parse

import pytest

from stub_receiver import Receiver


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def subscribe(srv, **kw):
    body = {"name": kw.pop("name", "hook-" + str(time.time())), "kind": "webhook", "events": "org.*"}
    body.update(kw)
    r = srv.as_user("sysadmin", "POST", "/api/v1/webhooks", body)
    assert r.status == 201, r
    return r.json


def make_org(srv, name):
    r = srv.as_user("sysadmin", "POST", "/api/v1/orgs", {"name": name, "party": "customer"})
    assert r.status == 201, r
    return r.json


def test_webhook_is_signed_and_delivered_once(fresh_server, receiver):
    srv = fresh_server()
    hook = subscribe(srv, url=receiver.url("/in?key=abc"), secret="s3cret-value")
    # credentials never come back whole
    assert "abc" not in hook["url"] and "s3cret" not in str(hook)
    assert hook["has_secret"] is True
    org = make_org(srv, "通知测试局")
    reqs = receiver.wait_for(1)
    assert len(reqs) == 1
    rq = reqs[0]
    h = rq["headers"]
    assert h["x-uniops-event"] == "org.create"
    body = rq["json"]
    assert body["event"] == "org.create" and body["resource_id"] == str(org["id"])
    assert body["after"]["name"] == "通知测试局"
    assert body["delivery_id"] == h["x-uniops-delivery"]
    want = "sha256=" + hmac.new(b"s3cret-value", (h["x-uniops-timestamp"] + ".").encode() + rq["body"],
                                hashlib.sha256).hexdigest()
    assert h["x-uniops-signature"] == want
    # settled as delivered, and not sent again
    time.sleep(2.5)
    assert len(receiver.requests) == 1
    out = srv.as_user("sysadmin", "GET", "/api/v1/outbox?status=delivered").json["items"]
    assert [o["delivery_id"] for o in out] == [body["delivery_id"]]


def test_filter_and_inactive_subscription(fresh_server, receiver):
    srv = fresh_server()
    hook = subscribe(srv, url=receiver.url(), events="user.create")
    make_org(srv, "不匹配的组织")
    time.sleep(2)
    assert receiver.requests == []
    r = srv.as_user("sysadmin", "POST", f"/api/v1/webhooks/{hook['id']}/deactivate")
    assert r.status == 200


def test_failures_retry_then_dead_letter_and_retry(fresh_server):
    bad = Receiver(status=500)
    try:
        srv = fresh_server()
        subscribe(srv, url=bad.url())
        make_org(srv, "失败重试局")
        bad.wait_for(1)
        # move time forward past each backoff: 2, 4, 8 … s
        for i in range(1, 12):
            srv.set_clock(2 ** (i + 1) + 5 * i)
            time.sleep(1.3)
        assert len(bad.requests) >= 8
        ids = {r["headers"]["x-uniops-delivery"] for r in bad.requests}
        assert len(ids) == 1  # the same delivery each time
        dead = srv.as_user("sysadmin", "GET", "/api/v1/outbox?status=dead").json["items"]
        assert len(dead) == 1 and "HTTP 500" in dead[0]["last_error"]
        bad.status = 200
        r = srv.as_user("sysadmin", "POST", f"/api/v1/outbox/{dead[0]['id']}/retry")
        assert r.status == 200, r
        n = len(bad.requests)
        bad.wait_for(n + 1)
        time.sleep(1.5)
        assert srv.as_user("sysadmin", "GET", "/api/v1/outbox?status=delivered").json["items"][0]["id"] == dead[0]["id"]
        assert srv.as_user("sysadmin", "POST", f"/api/v1/outbox/{dead[0]['id']}/retry").status == 409
    finally:
        bad.close()


def test_robot_formats_and_signatures(fresh_server):
    wecom = Receiver(reply={"errcode": 0, "errmsg": "ok"})
    ding = Receiver(reply={"errcode": 0, "errmsg": "ok"})
    feishu = Receiver(reply={"code": 0, "msg": "success"})
    try:
        srv = fresh_server()
        subscribe(srv, name="wecom", kind="wecom", url=wecom.url("/cgi-bin/webhook/send?key=K1"))
        subscribe(srv, name="ding", kind="dingtalk", url=ding.url("/robot/send?access_token=T1"), secret="SECding")
        subscribe(srv, name="feishu", kind="feishu", url=feishu.url("/open-apis/bot/v2/hook/T2"), secret="SECfs")
        make_org(srv, "机器人测试局")
        w = wecom.wait_for(1)[0]
        assert w["json"]["msgtype"] == "text" and "org.create" in w["json"]["text"]["content"]
        assert w["query"]["key"] == ["K1"]
        d = ding.wait_for(1)[0]
        assert d["json"]["msgtype"] == "text" and d["json"]["at"] == {"atMobiles": [], "isAtAll": False}
        ts = d["query"]["timestamp"][0]
        mac = hmac.new(b"SECding", f"{ts}\nSECding".encode(), hashlib.sha256).digest()
        assert d["query"]["sign"][0] == base64.b64encode(mac).decode()
        assert urllib.parse.quote(base64.b64encode(mac).decode(), safe="") in d["raw_query"]
        f = feishu.wait_for(1)[0]["json"]
        assert f["msg_type"] == "text" and "org.create" in f["content"]["text"]
        mac = hmac.new(f"{f['timestamp']}\nSECfs".encode(), b"", hashlib.sha256).digest()
        assert f["sign"] == base64.b64encode(mac).decode()
    finally:
        wecom.close()
        ding.close()
        feishu.close()


def test_robot_error_code_is_a_failure(fresh_server):
    ding = Receiver(reply={"errcode": 310000, "errmsg": "sign not match"})
    try:
        srv = fresh_server()
        subscribe(srv, name="ding", kind="dingtalk", url=ding.url("/robot/send?access_token=T"))
        make_org(srv, "错误码测试局")
        ding.wait_for(1)
        time.sleep(1)
        pending = srv.as_user("sysadmin", "GET", "/api/v1/outbox?status=pending").json["items"]
        assert pending and "robot refused" in pending[0]["last_error"]
    finally:
        ding.close()


def test_webhook_validation_and_permissions(server):
    r = server.as_user("sysadmin", "POST", "/api/v1/webhooks",
                       {"name": "x", "kind": "webhook", "url": "ftp://example.org/x", "events": "*"})
    assert r.status == 400 and r.error["field"] == "url"
    r = server.as_user("sysadmin", "POST", "/api/v1/webhooks",
                       {"name": "x", "kind": "smoke", "url": "http://127.0.0.1:1/x", "events": "*"})
    assert r.status == 400 and r.error["field"] == "kind"
    r = server.as_user("sysadmin", "POST", "/api/v1/webhooks",
                       {"name": "x", "kind": "webhook", "url": "http://127.0.0.1:1/x", "events": "DROP TABLE"})
    assert r.status == 400 and r.error["field"] == "events"
    for user in ("auditor", "secadmin", "edu.admin", "p1.pm"):
        assert server.as_user(user, "GET", "/api/v1/webhooks").status == 403
        assert server.as_user(user, "GET", "/api/v1/outbox").status == 403


def test_robot_rate_limit_postpones_without_failing(fresh_server):
    wecom = Receiver(reply={"errcode": 0, "errmsg": "ok"})
    try:
        srv = fresh_server()
        subscribe(srv, name="wecom", kind="wecom", url=wecom.url("/cgi-bin/webhook/send?key=K"), events="org.create")
        for i in range(25):
            make_org(srv, f"限流测试局{i}")
        time.sleep(4)
        # WeCom takes 20 messages a minute: the other 5 wait, pending, with no failed attempt
        assert len(wecom.requests) == 20
        pending = srv.as_user("sysadmin", "GET", "/api/v1/outbox?status=pending").json["items"]
        assert len(pending) == 5 and all(p["attempts"] == 0 for p in pending)
        srv.set_clock(70)
        wecom.wait_for(25, timeout=30)
        assert len(wecom.requests) == 25
        srv.set_clock(0)
    finally:
        wecom.close()
