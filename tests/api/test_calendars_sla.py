"""Business calendars and SLA agreements over HTTP and the CLI: deadlines across holiday
weeks (expected instants worked out by hand in the comments), validation, versioning and the
resolution rules."""
import json
import os
import time
import urllib.parse

import pytest

Q = urllib.parse.quote


def cal_id(server, name):
    items = server.as_user("ops.manager", "GET", "/api/v1/calendars?limit=200").json["items"]
    return next(c["id"] for c in items if c["name"] == name)


def org_id(server, name):
    r = server.as_user("sysadmin", "GET", "/api/v1/orgs?limit=200")
    return next(o["id"] for o in r.json["items"] if o["name"] == name)


def due(server, cid, start, duration, user="edu.zhang"):
    return server.as_user(user, "GET", f"/api/v1/calendars/{cid}/due?start={Q(start)}&duration_s={Q(str(duration))}")


# (start, duration, expected) on 办公时间: Mon–Fri 08:30–12:00, 14:00–17:30 (7 h a day),
# 2026 holidays and make-up days from the State Council table.
CASES = [
    # Wed 30 Sep 16:00: 1.5 h left that day; 1–7 Oct off; Thu 8 Oct 08:30–12:00 (3.5 h) and
    # 14:00–17:00 (3 h) → 8 h.
    ("2026-09-30T16:00:00+08:00", 8 * 3600, "2026-10-08T17:00:00+08:00"),
    # inside the holiday, Sat 3 Oct: counting starts Thu 8 Oct 08:30; 2 h → 10:30.
    ("2026-10-03T10:00:00+08:00", 2 * 3600, "2026-10-08T10:30:00+08:00"),
    # Sat 10 Oct is a make-up working day with Monday's hours: 09:00 + 4 h → 12:00 is 3 h,
    # then 14:00 + 1 h → 15:00.
    ("2026-10-10T09:00:00+08:00", 4 * 3600, "2026-10-10T15:00:00+08:00"),
    # Sun 20 Sep is a make-up day too: starting before hours counts from 08:30.
    ("2026-09-20T07:00:00+08:00", 3600, "2026-09-20T09:30:00+08:00"),
    # lunch break: 12:30 counts from 14:00.
    ("2026-11-25T12:30:00+08:00", 30 * 60, "2026-11-25T14:30:00+08:00"),
    # after hours on Friday 27 Nov: next working minute is Mon 30 Nov 08:30.
    ("2026-11-27T18:00:00+08:00", 3600, "2026-11-30T09:30:00+08:00"),
    # Spring Festival: Fri 13 Feb 16:00, 1.5 h; Sat 14 Feb make-up (7 h) → 8.5 h used by
    # 17:30 on the 14th; 15–23 Feb off; Tue 24 Feb 08:30 + 1.5 h → 10:00 for 10 h.
    ("2026-02-13T16:00:00+08:00", 10 * 3600, "2026-02-24T10:00:00+08:00"),
    # year end: Wed 31 Dec 2025 17:00, 0.5 h; 1–3 Jan 2026 off; Sun 4 Jan make-up 08:30 + 1.5 h.
    ("2025-12-31T17:00:00+08:00", 2 * 3600, "2026-01-04T10:00:00+08:00"),
    # zero duration is due at the start
    ("2026-11-25T10:00:00+08:00", 0, "2026-11-25T10:00:00+08:00"),
]


@pytest.mark.parametrize("start,duration,expected", CASES)
def test_due_over_http(server, start, duration, expected):
    r = due(server, cal_id(server, "办公时间"), start, duration)
    assert r.status == 200, r
    assert r.json["due"] == expected


def test_due_on_7x24_and_cli(server):
    cid = cal_id(server, "7x24")
    r = due(server, cid, "2026-09-30T16:00:00+08:00", 8 * 3600)
    assert r.json["due"] == "2026-10-01T00:00:00+08:00"
    office = cal_id(server, "办公时间")
    for start, duration, expected in CASES[:4]:
        p = server.cli(["sla", "due", "--calendar", str(office), "--start", start, "--duration", f"{duration}"])
        assert p.returncode == 0, p.stderr
        assert p.stdout.strip() == expected
    p = server.cli(["sla", "due", "--calendar", str(office), "--start", "2026-09-30T16:00:00+08:00", "--duration", "8h"])
    assert p.stdout.strip() == "2026-10-08T17:00:00+08:00"
    assert server.cli(["sla", "due", "--calendar", str(office), "--start", "yesterday", "--duration", "8h"]).returncode == 2
    assert server.cli(["sla", "due", "--calendar", str(office), "--start", CASES[0][0], "--duration", "8x"]).returncode == 2


def test_elapsed_is_the_inverse(server):
    cid = cal_id(server, "办公时间")
    r = server.as_user("edu.zhang", "GET",
                       f"/api/v1/calendars/{cid}/elapsed?from={Q('2026-09-30T16:00:00+08:00')}&to={Q('2026-10-08T17:00:00+08:00')}")
    assert r.status == 200 and r.json["elapsed_s"] == 8 * 3600
    # a pause over a weekend adds no business time
    r = server.as_user("edu.zhang", "GET",
                       f"/api/v1/calendars/{cid}/elapsed?from={Q('2026-11-27T17:30:00+08:00')}&to={Q('2026-11-30T08:30:00+08:00')}")
    assert r.json["elapsed_s"] == 0


def test_due_bad_input(server):
    cid = cal_id(server, "办公时间")
    assert due(server, cid, "2026-13-01T00:00:00+08:00", 60).status == 400
    assert due(server, cid, "2026-10-01T00:00:00+08:00", -5).status == 400
    r = server.as_user("edu.zhang", "GET", f"/api/v1/calendars/{cid}/due?start={Q(CASES[0][0])}")
    assert r.status == 400 and r.error["field"] == "duration_s"
    assert server.as_user("edu.zhang", "GET", "/api/v1/calendars/999/due?start=x&duration_s=1").status in (400, 404)


WEEK = {"mon": [["08:30", "12:00"], ["14:00", "17:30"]], "tue": [["08:30", "17:30"]], "wed": [], "thu": [],
        "fri": [], "sat": [], "sun": []}


def test_calendar_create_get_put_roundtrip(fresh_server):
    s = fresh_server()
    doc = {"name": "测试日历", "week": WEEK, "holidays": ["2026-12-01"], "workdays": ["2026-12-05"]}
    r = s.as_user("ops.manager", "POST", "/api/v1/calendars", doc)
    assert r.status == 201, r
    cid = r.json["id"]
    got = s.as_user("p1.eng", "GET", f"/api/v1/calendars/{cid}").json
    for k in ("name", "week", "holidays", "workdays"):
        assert got[k] == doc[k]
    # Mon 30 Nov 17:00 + 1 h: 0.5 h Monday, Tue 1 Dec is a holiday, Wed–Fri have no hours,
    # Sat 5 Dec is a make-up day with Monday's hours → 09:00.
    assert due(s, cid, "2026-11-30T17:00:00+08:00", 3600).json["due"] == "2026-12-05T09:00:00+08:00"
    # the management party edits the dates: without the holiday, Tue 1 Dec 08:30 + 0.5 h
    doc2 = dict(doc, holidays=[])
    assert s.as_user("ops.manager", "PUT", f"/api/v1/calendars/{cid}", doc2).status == 428
    r = s.as_user("ops.manager", "PUT", f"/api/v1/calendars/{cid}", doc2, headers={"If-Match": '"1"'})
    assert r.status == 200, r
    assert due(s, cid, "2026-11-30T17:00:00+08:00", 3600).json["due"] == "2026-12-01T09:00:00+08:00"
    r = s.as_user("ops.manager", "PUT", f"/api/v1/calendars/{cid}", doc, headers={"If-Match": '"1"'})
    assert r.status == 409
    # others may read but not write
    assert s.as_user("edu.admin", "POST", "/api/v1/calendars", dict(doc, name="x")).status == 403
    assert s.as_user("auditor", "GET", "/api/v1/calendars").status == 403
    # an import from a file through the CLI
    path = os.path.join(s.tmp.name, "cal.json")
    with open(path, "w") as f:
        json.dump(dict(doc, name="导入日历"), f, ensure_ascii=False)
    p = s.cli(["calendar", "import", path])
    assert p.returncode == 0, p.stderr
    assert s.as_user("ops.manager", "GET", f"/api/v1/calendars/{p.stdout.strip()}").json["name"] == "导入日历"


@pytest.mark.parametrize("change,field", [
    ({"week": dict(WEEK, mon=[["08:30", "12:00"], ["11:00", "17:30"]])}, "week.mon"),
    ({"week": dict(WEEK, mon=[["12:00", "08:30"]])}, "week.mon"),
    ({"week": {k: v for k, v in WEEK.items() if k != "sun"}}, "week.sun"),
    ({"workdays": ["2026-12-02"]}, "workdays"),  # a Wednesday cannot be a make-up day
    ({"holidays": ["2026-02-30"]}, "holidays"),
    ({"holidays": ["2026-12-05"], "workdays": ["2026-12-05"]}, "workdays"),
    ({"colour": "red"}, "colour"),
])
def test_calendar_validation(server, change, field):
    doc = {"name": "坏日历", "week": WEEK, "holidays": [], "workdays": []}
    doc.update(change)
    r = server.as_user("ops.manager", "POST", "/api/v1/calendars", doc)
    assert r.status == 400, r
    assert r.error["field"].startswith(field), r


def resolve(server, user="ops.manager", **q):
    return server.as_user(user, "GET", "/api/v1/sla/resolve?" + urllib.parse.urlencode(q))


def test_resolution_rules(server):
    p1 = org_id(server, "南粤数智运维服务有限公司")
    p2 = org_id(server, "云帆信息技术服务有限公司")
    edu_it = org_id(server, "市教育局信息中心")
    health_it = org_id(server, "市卫生健康委员会信息中心")
    civil = org_id(server, "市民政局")
    # the education bureau's own agreement applies to its sub-department (nearest parent)
    r = resolve(server, customer_org_id=edu_it, provider_org_id=p1, priority="P1", at="2026-11-25T10:00:00+08:00")
    assert r.status == 200, r
    assert r.json["agreement_name"] == "南粤数智 市教育局专项运维协议"
    assert r.json["targets"] == {"response_s": 600, "arrival_s": 2700, "resolution_s": 10800}
    # a department without its own falls back to the every-customer agreement
    r = resolve(server, customer_org_id=civil, provider_org_id=p1, priority="P2", at="2026-11-25T10:00:00+08:00")
    assert r.json["agreement_name"] == "南粤数智 全市基础设施运维服务协议" and r.json["source"] == "agreement"
    assert r.json["targets"]["resolution_s"] == 8 * 3600
    # the item override for meeting support (会议保障)
    meeting = server.as_user("ops.manager", "GET", "/api/v1/catalog?code=A1.3.8").json["items"][0]["id"]
    r = resolve(server, customer_org_id=civil, provider_org_id=p1, priority="P2", catalog_item_id=meeting,
                at="2026-11-25T10:00:00+08:00")
    assert r.json["source"] == "item_override" and r.json["targets"]["response_s"] == 600
    # the National Day guarantee period: tighter targets on the 7x24 calendar
    r = resolve(server, customer_org_id=civil, provider_org_id=p1, priority="P1", at="2026-10-02T03:00:00+08:00")
    assert r.json["source"] == "major_guarantee" and r.json["major_guarantee"] == "国庆节重要保障期"
    assert r.json["calendar_id"] == cal_id(server, "7x24")
    assert r.json["targets"]["response_s"] == 300
    # P3 in the guarantee period has no own target: the agreement's, but the guarantee calendar
    r = resolve(server, customer_org_id=civil, provider_org_id=p1, priority="P3", at="2026-10-02T03:00:00+08:00")
    assert r.json["source"] == "agreement" and r.json["calendar_id"] == cal_id(server, "7x24")
    # without a provider: the health commission has p2's specific one (nearest) …
    r = resolve(server, customer_org_id=health_it, priority="P1", at="2026-11-25T10:00:00+08:00")
    assert r.json["provider_org_id"] == p2
    # … outside the validity dates nothing applies
    r = resolve(server, customer_org_id=civil, provider_org_id=p1, priority="P1", at="2027-01-05T10:00:00+08:00")
    assert r.status == 404
    # bad input
    assert resolve(server, customer_org_id=civil, priority="P9").status == 400
    assert resolve(server, priority="P1").status == 400
    assert resolve(server, customer_org_id=civil, priority="P1", at="soon").status == 400
    r = resolve(server, customer_org_id=987654321, provider_org_id=p1, priority="P1")
    assert r.status == 400 and r.json["error"]["field"] == "customer_org_id", r
    assert r.json["error"]["code"] == "validation_failed", r


def test_resolution_follows_a_new_sub_department_at_once(server):
    """The chain comes from the cached organisation tree outside write transactions: an
    organisation created a moment ago must still be found (and its parent's agreement apply)."""
    p1 = org_id(server, "南粤数智运维服务有限公司")
    edu_it = org_id(server, "市教育局信息中心")
    r = server.as_user("sysadmin", "POST", "/api/v1/orgs",
                       {"name": "市教育局信息中心网络科 %d" % time.time_ns(), "party": "customer", "parent_id": edu_it})
    assert r.status == 201, r
    r = resolve(server, customer_org_id=r.json["id"], provider_org_id=p1, priority="P1", at="2026-11-25T10:00:00+08:00")
    assert r.status == 200, r
    assert r.json["agreement_name"] == "南粤数智 市教育局专项运维协议"


def base_body(server, name, **kw):
    p1 = org_id(server, "南粤数智运维服务有限公司")
    t = {"response_s": 600, "arrival_s": 1800, "resolution_s": 7200}
    body = {"name": name, "provider_org_id": p1, "customer_org_id": org_id(server, "市民政局"),
            "valid_from": "2026-01-01", "valid_to": "2026-12-31", "calendar_id": cal_id(server, "办公时间"),
            "targets": {"P1": t, "P2": t, "P3": t, "P4": t},
            "indicators": [{"metric": "response_on_time_rate", "target": 0.95}]}
    body.update(kw)
    return body


def test_versions_are_immutable_and_resolution_keeps_history(fresh_server):
    s = fresh_server()
    body = base_body(s, "民政局协议")
    r = s.as_user("ops.manager", "POST", "/api/v1/sla-agreements", body)
    assert r.status == 201, r
    a = r.json
    assert a["version_no"] == 1 and a["current_version"] == 1
    civil = body["customer_org_id"]
    before = resolve(s, customer_org_id=civil, provider_org_id=body["provider_org_id"], priority="P1").json
    assert before["version_no"] == 1
    s.set_clock(60)
    t2 = {"response_s": 300, "arrival_s": 900, "resolution_s": 3600}
    new = dict(body, targets={"P1": t2, "P2": t2, "P3": t2, "P4": t2})
    del new["name"]
    assert s.as_user("ops.manager", "PUT", f"/api/v1/sla-agreements/{a['id']}", new).status == 428
    r = s.as_user("ops.manager", "PUT", f"/api/v1/sla-agreements/{a['id']}", new, headers={"If-Match": '"1"'})
    assert r.status == 200, r
    assert r.json["version_no"] == 2 and r.json["targets"]["P1"] == t2
    assert s.as_user("ops.manager", "PUT", f"/api/v1/sla-agreements/{a['id']}", new,
                     headers={"If-Match": '"1"'}).status == 409
    vs = s.as_user("ops.manager", "GET", f"/api/v1/sla-agreements/{a['id']}/versions").json["items"]
    assert [v["version_no"] for v in vs] == [1, 2]
    assert vs[0]["superseded_at"] is not None and vs[0]["targets"]["P1"]["response_s"] == 600
    # the instant of the first measurement still resolves to version 1
    now = resolve(s, customer_org_id=civil, provider_org_id=body["provider_org_id"], priority="P1").json
    assert now["version_no"] == 2 and now["targets"]["response_s"] == 300
    old = resolve(s, customer_org_id=civil, provider_org_id=body["provider_org_id"], priority="P1", at=before["at"]).json
    assert old["version_no"] == 1 and old["targets"]["response_s"] == 600
    # the provider cannot change
    r = s.as_user("ops.manager", "PUT", f"/api/v1/sla-agreements/{a['id']}",
                  dict(new, provider_org_id=org_id(s, "云帆信息技术服务有限公司")), headers={"If-Match": '"2"'})
    assert r.status == 400 and r.error["field"] == "provider_org_id"
    s.set_clock(0)


BAD = [
    ({"targets": {"P1": {"response_s": -1, "resolution_s": 10}}}, "targets"),
    ("drop_P4", "targets.P4"),
    ("slow_response", "targets.P1"),
    ({"valid_to": "2025-12-31"}, "valid_to"),
    ({"calendar_id": 9999}, "calendar_id"),
    ({"indicators": [{"metric": "happiness", "target": 0.9}]}, "indicators[0]"),
    ({"indicators": [{"metric": "satisfaction_rate", "target": 95}]}, "indicators[0]"),
    ("overlapping_guarantees", "major_guarantees[1]"),
    ({"item_overrides": [{"catalog_item_id": 999999, "targets": {"P1": {"response_s": 1, "resolution_s": 2}}}]},
     "item_overrides[0].catalog_item_id"),
    ({"provider_org_id": 1}, "provider_org_id"),  # the management party is not a provider
    ({"colour": "red"}, "colour"),
]


@pytest.mark.parametrize("change,field", BAD)
def test_agreement_validation(server, change, field):
    body = base_body(server, "坏协议")
    t = {"response_s": 600, "resolution_s": 7200}
    if change == "drop_P4":
        del body["targets"]["P4"]
    elif change == "slow_response":
        body["targets"] = dict(body["targets"], P1={"response_s": 9000, "resolution_s": 7200})
    elif change == "overlapping_guarantees":
        body["major_guarantees"] = [
            {"name": "a", "from": "2026-10-01", "to": "2026-10-05", "targets": {"P1": t}},
            {"name": "b", "from": "2026-10-05", "to": "2026-10-08", "targets": {"P1": t}}]
    else:
        body.update(change)
    r = server.as_user("ops.manager", "POST", "/api/v1/sla-agreements", body)
    assert r.status == 400, r
    assert r.error["field"].startswith(field), r


def test_agreement_scope(server):
    names = lambda u: {a["name"] for a in server.as_user(u, "GET", "/api/v1/sla-agreements").json["items"]}
    everyone = "南粤数智 全市基础设施运维服务协议"
    edu = "南粤数智 市教育局专项运维协议"
    health = "云帆信息 市卫健委政务云运维协议"
    assert {everyone, edu, health} <= names("ops.manager")
    assert {everyone, edu, health} <= names("supervisor")
    assert names("p2.pm") == {health}
    assert {everyone, edu} <= names("p1.desk") and health not in names("p1.desk")
    assert names("edu.zhang") >= {everyone, edu} and health not in names("edu.zhang")
    assert health in names("health.li") and edu not in names("health.li")
    assert server.as_user("auditor", "GET", "/api/v1/sla-agreements").status == 403
    hid = next(a["id"] for a in server.as_user("ops.manager", "GET", "/api/v1/sla-agreements").json["items"]
               if a["name"] == health)
    assert server.as_user("edu.admin", "GET", f"/api/v1/sla-agreements/{hid}").status == 404
    p1 = org_id(server, "南粤数智运维服务有限公司")
    per_provider = server.as_user("ops.manager", "GET", f"/api/v1/sla-agreements?provider_org_id={p1}").json["items"]
    assert {a["name"] for a in per_provider} == {everyone, edu}
    for u in ("sysadmin", "edu.admin", "p1.pm", "supervisor"):
        assert server.as_user(u, "POST", "/api/v1/sla-agreements", base_body(server, "x")).status == 403
