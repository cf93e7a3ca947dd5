"""Several stateless `uniops serve` instances on one PostgreSQL (issue: PostgreSQL backend):
sessions work on any instance, concurrent updates of one record through both never lose an
update, and outbox delivery survives an instance killed mid-delivery with every notification
delivered (a repeat only for the deliveries the dead instance had claimed, same delivery_id)."""
import os
import signal
import threading
import time

import pytest

from stub_receiver import Receiver
from uniops_client import Server

pytestmark = pytest.mark.skipif(not os.environ.get("UNIOPS_TEST_PG"), reason="needs PostgreSQL (make api-pg)")

KEY = {"UNIOPS_SECRET_KEY": "ab" * 32}


@pytest.fixture
def pair():
    a = Server(demo=True, extra_env=KEY)
    b = Server(demo=False, db=a.db, extra_env=KEY)
    yield a, b
    b.close()
    a.close()


def test_session_from_one_instance_works_on_the_other(pair):
    a, b = pair
    token = a.login("ops.manager")
    r = b.request("GET", "/api/v1/me", token=token)
    assert r.status == 200 and r.json["username"] == "ops.manager"
    assert b.request("DELETE", "/api/v1/sessions/current", token=token).status == 204
    assert a.request("GET", "/api/v1/me", token=token).status == 401


def test_no_lost_update_across_instances(pair):
    a, b = pair
    tokens = {a: a.login("sysadmin"), b: b.login("sysadmin")}
    org = a.as_user("sysadmin", "POST", "/api/v1/orgs", {"name": "并发测试局", "party": "customer"}).json
    oid = org["id"]
    results = []
    lock = threading.Lock()

    def worker(srv, n):
        for i in range(15):
            cur = srv.request("GET", f"/api/v1/orgs/{oid}", token=tokens[srv])
            v = cur.json["version"]
            r = srv.request("PATCH", f"/api/v1/orgs/{oid}", {"contact": f"{n}-{i}"}, token=tokens[srv],
                            headers={"If-Match": f'"{v}"'})
            with lock:
                results.append((r.status, v))

    threads = [threading.Thread(target=worker, args=(srv, n)) for n, srv in enumerate([a, b, a, b])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok = [v for s, v in results if s == 200]
    assert all(s in (200, 409) for s, _ in results), results
    assert len(ok) == len(set(ok)), "two writers succeeded from the same version: a lost update"
    final = a.as_user("sysadmin", "GET", f"/api/v1/orgs/{oid}").json
    assert final["version"] == 1 + len(ok)
    audit = a.as_user("auditor", "GET", f"/api/v1/audit?resource=org&resource_id={oid}&action=update&limit=200")
    assert len(audit.json["items"]) == len(ok)
    assert a.cli(["audit", "verify"]).returncode == 0


def test_delivery_survives_a_killed_instance(pair):
    a, b = pair
    slow = Receiver()
    orig = slow.httpd.RequestHandlerClass.do_POST

    def slow_post(handler):
        time.sleep(0.15)  # so that an instance is mid-batch when it dies
        orig(handler)

    slow.httpd.RequestHandlerClass.do_POST = slow_post
    try:
        r = a.as_user("sysadmin", "POST", "/api/v1/webhooks",
                      {"name": "multi", "kind": "webhook", "url": slow.url(), "events": "org.create"})
        assert r.status == 201, r
        n = 40
        for i in range(n):
            srv = a if i % 2 else b
            assert srv.as_user("sysadmin", "POST", "/api/v1/orgs", {"name": f"多实例{i}", "party": "customer"}).status == 201
        slow.wait_for(5)
        a.proc.send_signal(signal.SIGKILL)
        a.proc.wait()
        # the dead instance's claims expire after their lease (60 s): move B's clock past it
        b.set_clock(120)
        deadline = time.time() + 60
        while time.time() < deadline:
            rows = b.as_user("sysadmin", "GET", "/api/v1/outbox?limit=200").json["items"]
            if len(rows) == n and all(x["status"] == "delivered" for x in rows):
                break
            time.sleep(0.5)
        rows = b.as_user("sysadmin", "GET", "/api/v1/outbox?limit=200").json["items"]
        assert len(rows) == n and all(x["status"] == "delivered" for x in rows), rows
        got = [q["headers"]["x-uniops-delivery"] for q in slow.requests]
        assert set(got) == {x["delivery_id"] for x in rows}  # nothing lost
        repeats = len(got) - len(set(got))
        assert repeats <= 16  # at most the batch the killed instance held, and each with its delivery id
        b.set_clock(0)
    finally:
        slow.close()
