"""Work orders over HTTP: lifecycles as each party, forbidden transitions, SLA clocks
compared with deadlines worked out by hand on the office-hours calendar (Mon–Fri
08:30–12:00, 14:00–17:30, 2026 holidays), pauses over a weekend, re-targeting, escalation at
the next working minute, restart idempotency, achievement and the self-assessment report."""
import datetime
import io
import time
import urllib.parse
import zipfile

import pytest

TZ = datetime.timezone(datetime.timedelta(hours=8))


def at(s):
    return datetime.datetime.fromisoformat(s)


def move_to(srv, iso):
    """Moves the server's clock so that its now is the Beijing time `iso`."""
    srv.set_clock(int(at(iso).timestamp() - time.time()))


def near(a, b, tol=15):
    return abs((at(a) - at(b)).total_seconds()) <= tol


def org(srv, name):
    return next(o["id"] for o in srv.as_user("sysadmin", "GET", "/api/v1/orgs?limit=200").json["items"] if o["name"] == name)


def user(srv, name):
    return srv.as_user("sysadmin", "GET", f"/api/v1/users?username={name}").json["items"][0]["id"]


def item(srv, code):
    return srv.as_user("ops.manager", "GET", f"/api/v1/catalog?code={code}").json["items"][0]["id"]


def act(srv, who, wid, **body):
    return srv.as_user(who, "POST", f"/api/v1/work-orders/{wid}/actions", body)


def clock(rec, metric):
    return next(c for c in rec["clocks"] if c["metric"] == metric)


def hotline(srv, reported, customer="市民政局信息科", code="A1.3.4", impact="medium", urgency="high", **kw):
    body = {"type": "incident", "channel": "hotline", "customer_org_id": org(srv, customer),
            "catalog_item_id": item(srv, code), "impact": impact, "urgency": urgency,
            "title": "机房空调告警", "reported_at": reported}
    body.update(kw)
    r = srv.as_user("p1.desk", "POST", "/api/v1/work-orders", body)
    assert r.status == 201, r
    return r.json


# The tests below move the clock to fixed days of December 2026 and count what those days
# hold; the demo city ends its three months before them, whatever the real date.
DEMO_AS_OF = "2026-11-20T12:00:00+08:00"


@pytest.fixture
def srv(fresh_server):
    s = fresh_server(demo_as_of=DEMO_AS_OF)
    yield s
    if s.proc.poll() is None:
        s.set_clock(0)


def test_hotline_clocks_and_weekend_pause(srv):
    # Friday 27 Nov 2026 12:00; the call came in at 11:00. 市民政局(信息科) has no agreement of its
    # own: the city-wide one applies (P2: response 30 min, arrival 2 h, resolution 8 h).
    move_to(srv, "2026-11-27T12:00:00+08:00")
    wo = hotline(srv, "2026-11-27T11:00:00+08:00")
    assert wo["priority"] == "P2" and wo["number"].startswith("WO")
    # response: 11:00 + 30 min = 11:30
    assert clock(wo, "response")["due_at"] == "2026-11-27T11:30:00+08:00"
    # arrival: 11:00–12:00 (1 h), lunch, 14:00 + 1 h = 15:00
    assert clock(wo, "arrival")["due_at"] == "2026-11-27T15:00:00+08:00"
    # resolution 8 h: Fri 1 h + 3.5 h = 4.5 h; Mon 30 Nov 08:30 + 3.5 h = 12:00
    assert clock(wo, "resolution")["due_at"] == "2026-11-30T12:00:00+08:00"
    # the response is already late (it is 12:00): breached while running
    assert clock(wo, "response")["state"] == "breached"
    wid = wo["id"]
    eng = user(srv, "p1.eng")
    assert act(srv, "p1.desk", wid, action="assign", assignee_id=eng).status == 200
    r = act(srv, "p1.eng", wid, action="accept")
    assert r.status == 200 and clock(r.json, "response")["state"] == "breached"
    move_to(srv, "2026-11-27T14:30:00+08:00")
    r = act(srv, "p1.eng", wid, action="arrive")
    assert clock(r.json, "arrival")["state"] == "met"
    assert act(srv, "p1.eng", wid, action="start").status == 200
    # Friday 17:00: waiting for the customer. Spent: 1 h + 3 h = 4 h.
    move_to(srv, "2026-11-27T17:00:00+08:00")
    r = act(srv, "p1.eng", wid, action="pend", reason="customer", note="等待用户确认停机窗口")
    res = clock(r.json, "resolution")
    assert res["state"] == "paused" and abs(res["spent_s"] - 4 * 3600) <= 15 and res["due_at"] is None
    # over the weekend nothing is spent
    move_to(srv, "2026-11-29T20:00:00+08:00")
    res = clock(srv.as_user("p1.eng", "GET", f"/api/v1/work-orders/{wid}").json, "resolution")
    assert abs(res["spent_s"] - 4 * 3600) <= 15
    # Monday 09:00 resume: 4 h left → 09:00–12:00 (3 h), 14:00 + 1 h = 15:00
    move_to(srv, "2026-11-30T09:00:00+08:00")
    r = act(srv, "p1.eng", wid, action="resume")
    res = clock(r.json, "resolution")
    assert res["state"] == "running" and near(res["due_at"], "2026-11-30T15:00:00+08:00")
    # waiting for a vendor does not stop the clock
    r = act(srv, "p1.eng", wid, action="pend", reason="vendor")
    assert clock(r.json, "resolution")["state"] == "running"
    assert act(srv, "p1.eng", wid, action="resume").status == 200
    move_to(srv, "2026-11-30T14:30:00+08:00")
    r = act(srv, "p1.eng", wid, action="resolve", resolution="更换压缩机")
    assert r.json["state"] == "resolved" and clock(r.json, "resolution")["state"] == "met"
    # the customer confirms and rates
    r = act(srv, "civil.guo", wid, action="confirm", rating=4, comment="处理及时")
    assert r.status == 200 and r.json["state"] == "closed" and r.json["rating"] == 4
    ev = srv.as_user("civil.guo", "GET", f"/api/v1/work-orders/{wid}/events").json["items"]
    assert [e["action"] for e in ev if e["kind"] == "action"] == [
        "create", "assign", "accept", "arrive", "start", "pend", "resume", "pend", "resume", "resolve", "confirm"]


def test_reject_reopens_and_priority_change_keeps_spent_time(srv):
    move_to(srv, "2026-12-01T09:00:00+08:00")  # Tuesday
    wo = hotline(srv, "2026-12-01T09:00:00+08:00", impact="low", urgency="low")
    assert wo["priority"] == "P4"
    wid = wo["id"]
    act(srv, "p1.desk", wid, action="assign", assignee_id=user(srv, "p1.eng"))
    act(srv, "p1.eng", wid, action="accept")
    act(srv, "p1.eng", wid, action="start")
    # 10:00: one business hour spent; P4 → P2 (8 h resolution): 7 h left from 10:00:
    # 10:00–12:00 (2 h), 14:00–17:30 (3.5 h), Wed 08:30 + 1.5 h = 10:00
    move_to(srv, "2026-12-01T10:00:00+08:00")
    r = act(srv, "p1.desk", wid, action="set_priority", priority="P2")
    assert r.status == 400 and r.error["field"] == "reason"
    r = act(srv, "p1.desk", wid, action="set_priority", priority="P2", reason="影响全局办公网")
    assert r.status == 200, r
    res = clock(r.json, "resolution")
    assert res["target_s"] == 8 * 3600 and abs(res["spent_s"] - 3600) <= 15
    assert near(res["due_at"], "2026-12-02T10:00:00+08:00")
    move_to(srv, "2026-12-01T11:00:00+08:00")
    r = act(srv, "p1.eng", wid, action="resolve", resolution="重启交换机")
    assert clock(r.json, "resolution")["state"] == "met"
    # the customer rejects: back in progress, the clock runs on from its spent time (2 h);
    # 6 h left from 11:00: 11:00–12:00, 14:00–17:30, Wed 08:30 + 1.5 h = 10:00 (unchanged:
    # the time between resolving and rejecting was not a pause)
    r = act(srv, "civil.guo", wid, action="reject", reason="问题仍然存在")
    assert r.json["state"] == "in_progress"
    res = clock(r.json, "resolution")
    assert res["state"] == "running" and abs(res["spent_s"] - 2 * 3600) <= 15
    assert near(res["due_at"], "2026-12-02T10:00:00+08:00")


def test_forbidden_transitions_and_roles(srv):
    move_to(srv, "2026-12-01T09:00:00+08:00")
    r = srv.as_user("edu.zhang", "POST", "/api/v1/work-orders",
                    {"type": "request", "impact": "low", "urgency": "medium", "title": "申请开通VPN账号"})
    assert r.status == 201, r
    wid = r.json["id"]
    before = srv.as_user("edu.zhang", "GET", f"/api/v1/work-orders/{wid}").json
    cases = [
        ("edu.zhang", {"action": "accept"}, 403, "forbidden"),        # a customer cannot accept
        ("p1.eng", {"action": "confirm"}, 403, "forbidden"),          # an engineer cannot confirm
        ("p1.eng", {"action": "resolve", "resolution": "x"}, 409, "invalid_transition"),
        ("edu.zhang", {"action": "confirm"}, 409, "invalid_transition"),
        ("p1.desk", {"action": "teleport"}, 400, "validation_failed"),
        ("p1.desk", {"action": "assign", "colour": "red"}, 400, "unknown_field"),
        ("p1.desk", {"action": "assign", "assignee_id": user(srv, "edu.zhang")}, 400, "validation_failed"),
        ("p2.desk", {"action": "assign"}, 404, "not_found"),           # another provider's order is invisible
        ("auditor", {"action": "cancel", "reason": "x"}, 403, "forbidden"),
        ("edu.zhang", {"action": "cancel"}, 400, "validation_failed"),  # a reason is required
    ]
    for who, body, status, code in cases:
        r = act(srv, who, wid, **body)
        assert r.status == status and r.error["code"] == code, (who, body, r)
    after = srv.as_user("edu.zhang", "GET", f"/api/v1/work-orders/{wid}").json
    assert after["version"] == before["version"] and after["state"] == "new"  # nothing changed
    # a stale If-Match is refused
    r = srv.as_user("p1.desk", "POST", f"/api/v1/work-orders/{wid}/actions", {"action": "assign"},
                    headers={"If-Match": '"99"'})
    assert r.status == 409
    r = act(srv, "edu.zhang", wid, action="cancel", reason="不需要了")
    assert r.status == 200 and r.json["state"] == "cancelled"
    assert act(srv, "p1.desk", wid, action="assign").status == 409


def test_create_validation(srv):
    civil = org(srv, "市民政局")
    base = {"type": "incident", "impact": "high", "urgency": "high", "title": "全局断网"}
    r = srv.as_user("civil.guo", "POST", "/api/v1/work-orders", base)
    assert r.status == 201 and r.json["priority"] == "P1" and r.json["requester_id"] == user(srv, "civil.guo")
    bad = [
        ("civil.guo", dict(base, priority="P3"), 400, "priority_reason"),
        ("civil.guo", dict(base, impact="huge"), 400, "impact"),
        ("civil.guo", dict(base, title=""), 400, "title"),
        ("civil.guo", dict(base, channel="hotline"), 403, "channel"),
        ("civil.guo", dict(base, reported_at="2026-11-25T08:00:00+08:00"), 403, "reported_at"),
        ("civil.guo", dict(base, customer_org_id=org(srv, "市教育局")), 403, "customer_org_id"),
        ("civil.guo", dict(base, catalog_item_id=item(srv, "A1.3")), 400, "catalog_item_id"),
        ("civil.guo", dict(base, mood="angry"), 400, "mood"),
        ("p1.desk", base, 400, "customer_org_id"),
        ("p1.desk", dict(base, customer_org_id=civil, reported_at="2099-01-01T00:00:00+08:00"), 400, "reported_at"),
        ("p1.engineer" if False else "p1.eng", dict(base, customer_org_id=civil), 403, None),
        ("supervisor", dict(base, customer_org_id=civil), 403, None),
    ]
    for who, body, status, field in bad:
        r = srv.as_user(who, "POST", "/api/v1/work-orders", body)
        assert r.status == status, (who, body, r)
        if field:
            assert r.error.get("field") == field, (who, body, r)
    old = (datetime.datetime.now(TZ) - datetime.timedelta(hours=25)).isoformat(timespec="seconds")
    r = srv.as_user("p1.desk", "POST", "/api/v1/work-orders", dict(base, customer_org_id=civil, reported_at=old))
    assert r.status == 400 and r.error["field"] == "reported_at"
    ok = srv.as_user("p1.desk", "POST", "/api/v1/work-orders",
                     dict(base, customer_org_id=civil, priority="P3", priority_reason="仅影响一台终端"))
    assert ok.status == 201 and ok.json["priority"] == "P3"


def test_scope_and_lists(srv):
    move_to(srv, "2026-12-01T09:00:00+08:00")
    a = srv.as_user("edu.zhang", "POST", "/api/v1/work-orders",
                    {"type": "incident", "impact": "high", "urgency": "high", "title": "教育局网络中断"}).json
    b = srv.as_user("health.li", "POST", "/api/v1/work-orders",
                    {"type": "incident", "impact": "low", "urgency": "low", "title": "卫健委云主机慢"}).json
    assert a["provider_org_id"] == org(srv, "南粤数智运维服务有限公司")
    assert b["provider_org_id"] == org(srv, "云帆信息技术服务有限公司")

    def sees(who, wo, q=""):
        """Does `who` find `wo` in the list (narrowed to its number, plus filters q)?"""
        r = srv.as_user(who, "GET", f"/api/v1/work-orders?number={wo['number']}" + q)
        assert r.status == 200, r
        return [w["id"] for w in r.json["items"]] == [wo["id"]]

    # the demo's 300 orders are there too: check each of ours by its number
    for who, want_a, want_b in [("edu.zhang", True, False), ("edu.admin", True, False), ("health.li", False, True),
                                ("p1.eng", True, False),  # 驻场服务部 sees its company's orders
                                ("p2.desk", False, True), ("supervisor", True, True), ("ops.manager", True, True)]:
        assert (sees(who, a), sees(who, b)) == (want_a, want_b), who
    assert srv.as_user("health.li", "GET", f"/api/v1/work-orders/{a['id']}").status == 404
    assert srv.as_user("auditor", "GET", "/api/v1/work-orders").status == 403
    assert sees("ops.manager", a, "&priority=P1") and not sees("ops.manager", b, "&priority=P1")
    assert sees("ops.manager", a, "&state=new&customer_org_id=%d" % a["customer_org_id"])
    # P1 response on the education agreement: 10 min → due 09:10; the P4 on 7x24: 240 min
    assert sees("ops.manager", a, "&due_within=15") and not sees("ops.manager", b, "&due_within=15")
    assert not sees("ops.manager", a, "&breached=true")
    move_to(srv, "2026-12-01T09:20:00+08:00")
    assert sees("ops.manager", a, "&breached=true") and not sees("ops.manager", b, "&breached=true")
    # a page of the breached list holds only breached orders
    page = srv.as_user("ops.manager", "GET", "/api/v1/work-orders?breached=true&limit=50").json["items"]
    assert page and all(any(c["state"] == "breached" for c in w["clocks"]) for w in page)
    assert srv.as_user("ops.manager", "GET", "/api/v1/work-orders?breached=yes").status == 400
    assert srv.as_user("ops.manager", "GET", "/api/v1/work-orders?due_within=0").status == 400
    # comments and work logs
    r = srv.as_user("edu.zhang", "POST", f"/api/v1/work-orders/{a['id']}/comments", {"body": "三楼全部断网"})
    assert r.status == 201
    r = srv.as_user("p1.eng", "POST", f"/api/v1/work-orders/{a['id']}/worklogs", {"body": "排查核心交换机", "minutes": 45})
    assert r.status == 201
    assert srv.as_user("p1.eng", "POST", f"/api/v1/work-orders/{a['id']}/worklogs", {"body": "x"}).status == 400
    assert srv.as_user("health.li", "POST", f"/api/v1/work-orders/{a['id']}/comments", {"body": "x"}).status == 404
    kinds = [e["kind"] for e in srv.as_user("edu.zhang", "GET", f"/api/v1/work-orders/{a['id']}/events").json["items"]]
    assert kinds == ["action", "comment", "worklog"]


def audit_actions(srv, wid):
    r = srv.as_user("auditor", "GET", f"/api/v1/audit?resource=work_order&resource_id={wid}&limit=200")
    return [x["action"] for x in r.json["items"]]


def wait_for(fn, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.3)
    return fn()


def test_escalation_waits_for_the_next_working_minute(srv):
    # P3 on office hours (response 2 h), reported Friday 4 Dec 16:00: warning at 80 % = 96 min
    # → 16:00–17:30 is 90 min, Monday 7 Dec 08:30 + 6 min = 08:36; due Monday 09:00.
    move_to(srv, "2026-12-04T16:00:00+08:00")
    wo = hotline(srv, "2026-12-04T16:00:00+08:00", code="A1.3.1", impact="medium", urgency="medium")
    assert wo["priority"] == "P3"
    assert clock(wo, "response")["due_at"] == "2026-12-07T09:00:00+08:00"
    # a P1 the same evening: the guarantee-less P1 target (15 min) is paged at once even at night
    move_to(srv, "2026-12-04T17:30:00+08:00")
    p1 = hotline(srv, "2026-12-04T17:25:00+08:00", code="A1.3.1", impact="high", urgency="high")
    # Monday 7 Dec 18:00: both the warning and the breach of the P3 are due, but it is after
    # hours: they wait. The P1 was warned and breached (Friday 17:37 and Monday 08:35…) and is
    # notified at once.
    move_to(srv, "2026-12-07T18:00:00+08:00")
    assert wait_for(lambda: "sla_breach" in audit_actions(srv, p1["id"]))
    time.sleep(6)
    assert "sla_warning" not in audit_actions(srv, wo["id"]) and "sla_breach" not in audit_actions(srv, wo["id"])
    # Tuesday 08:31: the next working minute → warning and breach go out, once
    move_to(srv, "2026-12-08T08:31:00+08:00")
    assert wait_for(lambda: {"sla_warning", "sla_breach"} <= set(audit_actions(srv, wo["id"])))
    # a restart never sends twice
    srv.stop()
    from uniops_client import Server
    again = Server(demo=False, db=srv.db)
    try:
        move_to(again, "2026-12-08T09:30:00+08:00")
        time.sleep(7)
        acts = audit_actions(again, wo["id"])
        assert acts.count("sla_warning") == 1 and acts.count("sla_breach") == 1
        rec = again.as_user("ops.manager", "GET", f"/api/v1/work-orders/{wo['id']}").json
        assert clock(rec, "response")["state"] == "breached"
        # the escalation names the provider manager and the department administrator
        r = again.as_user("auditor", "GET", f"/api/v1/audit?resource=work_order&resource_id={wo['id']}&action=sla_breach")
        assert "p1.pm" in r.json["items"][0]["after"]["notify"]
        again.set_clock(0)
    finally:
        again.close()


def test_auto_close_after_three_business_days(srv):
    move_to(srv, "2026-12-01T09:00:00+08:00")
    wo = hotline(srv, "2026-12-01T09:00:00+08:00")
    wid = wo["id"]
    act(srv, "p1.desk", wid, action="assign", assignee_id=user(srv, "p1.eng"))
    for a in ("accept", "start"):
        act(srv, "p1.eng", wid, action=a)
    act(srv, "p1.eng", wid, action="resolve", resolution="已修复")
    # resolved Tue 1 Dec 09:00: three business days (3 × 7 h) → Fri 4 Dec 09:00
    move_to(srv, "2026-12-04T08:50:00+08:00")
    time.sleep(2)
    assert srv.as_user("civil.guo", "GET", f"/api/v1/work-orders/{wid}").json["state"] == "resolved"
    move_to(srv, "2026-12-04T09:05:00+08:00")
    # the job runs every minute of real time: nudge it by waiting
    assert wait_for(lambda: srv.as_user("civil.guo", "GET", f"/api/v1/work-orders/{wid}").json["state"] == "closed",
                    timeout=75)


def test_achievement_callbacks_and_report(srv):
    move_to(srv, "2026-12-01T09:00:00+08:00")
    eng = user(srv, "p1.eng")
    made = []
    for late in (False, True, False):
        wo = hotline(srv, "2026-12-01T09:00:00+08:00", code="A1.3.1", impact="medium", urgency="medium")
        made.append(wo["id"])
        act(srv, "p1.desk", wo["id"], action="assign", assignee_id=eng)
    # response target P3 = 2 h: two accepted in time, one late
    move_to(srv, "2026-12-01T10:00:00+08:00")
    act(srv, "p1.eng", made[0], action="accept")
    act(srv, "p1.eng", made[2], action="accept")
    move_to(srv, "2026-12-01T15:00:00+08:00")
    act(srv, "p1.eng", made[1], action="accept")
    for wid in made:
        act(srv, "p1.eng", wid, action="start")
        act(srv, "p1.eng", wid, action="resolve", resolution="完成")
        act(srv, "civil.guo", wid, action="confirm", rating=5 if wid != made[1] else 2)
    q = urllib.parse.urlencode({"from": "2026-12-01T00:00:00+08:00", "to": "2027-01-01T00:00:00+08:00",
                                "group_by": "metric"})
    r = srv.as_user("ops.manager", "GET", "/api/v1/sla/achievement?" + q)
    assert r.status == 200, r
    resp = next(x for x in r.json["items"] if x["key"] == "response")
    assert (resp["met"], resp["breached"], resp["running"]) == (2, 1, 0)
    assert abs(resp["rate"] - 2 / 3) < 1e-9
    for g in ("provider", "customer", "priority", "catalog_item"):
        q2 = q.replace("group_by=metric", "group_by=" + g)
        assert srv.as_user("supervisor", "GET", "/api/v1/sla/achievement?" + q2).status == 200
    assert srv.as_user("ops.manager", "GET", "/api/v1/sla/achievement?" + q.replace("metric", "mood")).status == 400
    assert srv.as_user("edu.zhang", "GET", "/api/v1/sla/achievement?" + q).status == 403
    # callbacks on closed orders by the service desk
    r = srv.as_user("p1.desk", "POST", f"/api/v1/work-orders/{made[1]}/callbacks",
                    {"reached": True, "satisfied": False, "note": "用户对响应速度不满意"})
    assert r.status == 201, r
    assert srv.as_user("p1.desk", "POST", f"/api/v1/work-orders/{made[1]}/callbacks",
                       {"reached": False, "satisfied": True}).status == 400
    # the callback sample is a reproducible 10 % of closed orders, within the caller's scope
    sq = urllib.parse.urlencode({"from": "2026-12-01T00:00:00+08:00", "to": "2027-01-01T00:00:00+08:00"})
    mine = {w["id"] for w in srv.as_user("p1.desk", "GET", "/api/v1/work-orders/callback-sample?" + sq).json["items"]}
    theirs = {w["id"] for w in srv.as_user("p2.desk", "GET", "/api/v1/work-orders/callback-sample?" + sq).json["items"]}
    everyone = {w["id"] for w in srv.as_user("ops.manager", "GET", "/api/v1/work-orders/callback-sample?" + sq).json["items"]}
    assert not theirs & set(made) and mine <= everyone and theirs <= everyone
    assert srv.as_user("p1.desk", "GET", "/api/v1/work-orders/callback-sample?from=x").status == 400
    # the provider's monthly self-assessment
    p1 = org(srv, "南粤数智运维服务有限公司")
    r = srv.as_user("p1.pm", "GET", f"/api/v1/sla/self-assessment?provider_org_id={p1}&month=2026-12")
    assert r.status == 200, r
    rep = r.json
    resp = next(x for x in rep["by_metric"] if x["key"] == "response")
    assert resp["met"] == 2 and resp["breached"] == 1 and resp["target"] == 0.98 and resp["achieved"] is False
    s = rep["satisfaction"]
    assert s["rated"] == 3 and abs(s["satisfaction_rate"] - 2 / 3) < 1e-9 and s["callbacks"] == 1
    r = srv.as_user("p1.pm", "GET", f"/api/v1/sla/self-assessment?provider_org_id={p1}&month=2026-12&format=xlsx")
    assert r.status == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert srv.as_user("p2.pm", "GET", f"/api/v1/sla/self-assessment?provider_org_id={p1}&month=2026-12").status == 403
    assert srv.as_user("p1.pm", "GET", f"/api/v1/sla/self-assessment?provider_org_id={p1}&month=2026-13").status == 400


def test_attachments(srv):
    wo = srv.as_user("edu.zhang", "POST", "/api/v1/work-orders",
                     {"type": "incident", "impact": "low", "urgency": "low", "title": "截图附件"}).json
    wid = wo["id"]
    html = b"<html><script>alert(1)</script></html>"
    tok = srv.login("edu.zhang")
    q = "?name=" + urllib.parse.quote("报错截图.html")
    r = srv.request("POST", f"/api/v1/work-orders/{wid}/attachments{q}", raw=html, token=tok,
                    headers={"Content-Type": "text/html"})
    assert r.status == 201, r
    aid = r.json["attachment_id"]
    assert r.json["size"] == len(html) and len(r.json["sha256"]) == 64
    # the same content again is stored once, listed twice
    r2 = srv.request("POST", f"/api/v1/work-orders/{wid}/attachments?name=copy.html", raw=html, token=tok)
    assert r2.json["sha256"] == r.json["sha256"]
    items = srv.as_user("p1.eng", "GET", f"/api/v1/work-orders/{wid}/attachments").json["items"]
    assert [i["name"] for i in items] == ["报错截图.html", "copy.html"]
    d = srv.as_user("p1.eng", "GET", f"/api/v1/attachments/{aid}")
    assert d.status == 200 and d.body.encode() == html
    assert d.headers["content-type"] == "application/octet-stream"  # never served as HTML
    assert d.headers["content-disposition"].startswith("attachment;")
    assert "UTF-8''%E6%8A%A5" in d.headers["content-disposition"]
    assert d.headers["x-content-type-options"] == "nosniff" and "sandbox" in d.headers["content-security-policy"]
    # out of scope: another department, another provider
    assert srv.as_user("health.li", "GET", f"/api/v1/attachments/{aid}").status == 404
    assert srv.as_user("p2.eng", "GET", f"/api/v1/work-orders/{wid}/attachments").status == 404
    # bad names and empty files
    for bad in ("?name=../etc/passwd", "?name=", ""):
        assert srv.request("POST", f"/api/v1/work-orders/{wid}/attachments{bad}", raw=b"x", token=tok).status == 400
    assert srv.request("POST", f"/api/v1/work-orders/{wid}/attachments?name=a.txt", raw=b"", token=tok).status == 400


def test_attachment_size_limit(fresh_server):
    s = fresh_server(args=["--max-body", "4096"])
    wid = s.as_user("edu.zhang", "POST", "/api/v1/work-orders",
                    {"type": "incident", "impact": "low", "urgency": "low", "title": "大附件"}).json["id"]
    r = s.request("POST", f"/api/v1/work-orders/{wid}/attachments?name=big.bin", raw=b"x" * 10000,
                  token=s.login("edu.zhang"))
    assert r.status == 413
    assert s.as_user("edu.zhang", "GET", f"/api/v1/work-orders/{wid}/attachments").json["items"] == []
