"""Organisations and users: listing, filters, pagination, create/patch/deactivate rules,
role assignment, data scopes, and what a user record exposes."""
from urllib.parse import quote

import pytest

from uniops_client import STRONG_PASSWORD, uniq

# demo org ids (cmd_demo.c inserts them in this order)
MGMT, EDU, EDU_OFFICE, EDU_IT, HEALTH, HEALTH_IT = 1, 2, 3, 4, 5, 6
SUP, P1, P1_ONSITE, P2 = 15, 16, 17, 18


def assert_error(r, status, code, field=None):
    assert r.status == status, r
    assert r.error.get("code") == code, r
    assert r.error.get("message"), r
    if field is not None:
        assert r.error.get("field") == field, r


def assert_no_secrets(obj):
    if isinstance(obj, dict):
        for k, v in obj.items():
            assert k not in ("password_hash", "password"), obj
            assert_no_secrets(v)
    elif isinstance(obj, list):
        for v in obj:
            assert_no_secrets(v)
    elif isinstance(obj, str):
        assert not obj.startswith("$argon2"), obj


def all_items(s, who, path):
    """Every item of a list endpoint, following next_cursor with the largest page."""
    sep = "&" if "?" in path else "?"
    items, cursor = [], None
    while True:
        r = s.as_user(who, "GET", path + sep + "limit=200" + (f"&cursor={cursor}" if cursor else ""))
        assert r.status == 200, r
        items += r.json["items"]
        cursor = r.json["next_cursor"]
        if not cursor:
            return items


def new_org(s, name=None, party="customer", parent_id=None, **extra):
    body = {"name": name or uniq("Org "), "party": party}
    if parent_id is not None:
        body["parent_id"] = parent_id
    body.update(extra)
    r = s.as_user("sysadmin", "POST", "/api/v1/orgs", body)
    assert r.status == 201, r
    return r.json


def subtree(orgs, root):
    ids, grew = {root}, True
    while grew:
        grew = False
        for o in orgs:
            if o["parent_id"] in ids and o["id"] not in ids:
                ids.add(o["id"])
                grew = True
    return ids


# =========================================================================================
# organisations
# =========================================================================================

def test_list_orgs_default_shape(server):
    r = server.as_user("sysadmin", "GET", "/api/v1/orgs")
    assert r.status == 200, r
    assert set(r.json) == {"items", "next_cursor"}
    items = r.json["items"]
    assert len(items) >= 18
    ids = [o["id"] for o in items]
    assert ids == sorted(ids)
    o = next(o for o in items if o["id"] == EDU_IT)
    assert o["name"] == "市教育局信息中心" and o["party"] == "customer" and o["parent_id"] == EDU
    assert o["active"] is True and isinstance(o["version"], int)
    for k in ("created_at", "updated_at", "contact", "phone"):
        assert k in o
    # every role with org:read may list organisations
    for who in ("secadmin", "ops.manager", "edu.admin", "edu.zhang", "supervisor", "p1.desk", "p1.eng", "p1.pm"):
        assert server.as_user(who, "GET", "/api/v1/orgs").status == 200, who


def test_list_orgs_filter_party(server):
    everything = all_items(server, "sysadmin", "/api/v1/orgs")
    for party in ("management", "customer", "supervision", "service"):
        got = all_items(server, "sysadmin", f"/api/v1/orgs?party={party}")
        assert {o["id"] for o in got} == {o["id"] for o in everything if o["party"] == party}
        assert got
    assert_error(server.as_user("sysadmin", "GET", "/api/v1/orgs?party=government"), 400, "bad_request", "party")


def test_list_orgs_filter_parent(server):
    got = all_items(server, "sysadmin", f"/api/v1/orgs?parent_id={EDU}")
    assert {EDU_OFFICE, EDU_IT} <= {o["id"] for o in got}
    assert all(o["parent_id"] == EDU for o in got)
    got = all_items(server, "sysadmin", f"/api/v1/orgs?parent_id={P1}")
    assert P1_ONSITE in {o["id"] for o in got} and all(o["parent_id"] == P1 for o in got)
    assert all_items(server, "sysadmin", "/api/v1/orgs?parent_id=999999") == []
    assert_error(server.as_user("sysadmin", "GET", "/api/v1/orgs?parent_id=abc"), 400, "bad_request", "parent_id")


def test_list_orgs_search(server):
    everything = all_items(server, "sysadmin", "/api/v1/orgs")
    got = all_items(server, "sysadmin", "/api/v1/orgs?q=" + quote("教育局"))
    assert {o["id"] for o in got} == {o["id"] for o in everything if "教育局" in o["name"]}
    assert {EDU, EDU_OFFICE, EDU_IT} <= {o["id"] for o in got}
    got = all_items(server, "sysadmin", "/api/v1/orgs?q=" + quote("信息中心"))
    assert {EDU_IT, HEALTH_IT} <= {o["id"] for o in got}
    assert all("信息中心" in o["name"] for o in got)
    # combined with a filter
    got = all_items(server, "sysadmin", "/api/v1/orgs?party=service&q=" + quote("驻场"))
    assert [o["id"] for o in got] == [P1_ONSITE]
    assert all_items(server, "sysadmin", "/api/v1/orgs?q=" + uniq("nomatch")) == []


def test_list_orgs_search_wildcards_are_literal(server):
    tag = uniq("W")
    pct = new_org(server, f"{tag} 100% Org")
    und = new_org(server, f"{tag} under_score")
    plain = new_org(server, f"{tag} plain")
    got = all_items(server, "sysadmin", "/api/v1/orgs?q=" + quote("%"))
    assert pct["id"] in {o["id"] for o in got}
    assert all("%" in o["name"] for o in got), got
    got = all_items(server, "sysadmin", "/api/v1/orgs?q=" + quote(f"{tag} u_d"))
    assert got == []
    got = all_items(server, "sysadmin", "/api/v1/orgs?q=" + quote("_"))
    assert und["id"] in {o["id"] for o in got} and plain["id"] not in {o["id"] for o in got}
    assert all("_" in o["name"] for o in got)
    got = all_items(server, "sysadmin", "/api/v1/orgs?q=" + quote("!"))
    assert all("!" in o["name"] for o in got)


def test_list_orgs_search_ignores_case(server):
    tag = uniq("CaseTest")
    o = new_org(server, f"{tag} Networks")
    got = all_items(server, "sysadmin", "/api/v1/orgs?q=" + quote(f"{tag.lower()} networks"))
    assert [x["id"] for x in got] == [o["id"]]


def test_list_orgs_active_filter(server):
    o = new_org(server)
    r = server.as_user("sysadmin", "POST", f"/api/v1/orgs/{o['id']}/deactivate")
    assert r.status == 200, r
    active = all_items(server, "sysadmin", "/api/v1/orgs")
    inactive = all_items(server, "sysadmin", "/api/v1/orgs?active=false")
    both = all_items(server, "sysadmin", "/api/v1/orgs?active=all")
    assert o["id"] not in {x["id"] for x in active}
    assert o["id"] in {x["id"] for x in inactive}
    assert all(x["active"] is True for x in active)
    assert all(x["active"] is False for x in inactive)
    assert sorted(x["id"] for x in both) == sorted([x["id"] for x in active] + [x["id"] for x in inactive])
    assert [x["id"] for x in all_items(server, "sysadmin", "/api/v1/orgs?active=true")] == [x["id"] for x in active]
    assert_error(server.as_user("sysadmin", "GET", "/api/v1/orgs?active=maybe"), 400, "bad_request", "active")


def test_org_cursor_pagination_walks_everything_once(server):
    for extra in ("", "&active=all", "&party=customer"):
        full = all_items(server, "sysadmin", "/api/v1/orgs" + ("?" + extra.lstrip("&") if extra else ""))
        seen, cursor, pages = [], None, 0
        while True:
            path = "/api/v1/orgs?limit=2" + extra + (f"&cursor={cursor}" if cursor else "")
            r = server.as_user("sysadmin", "GET", path)
            assert r.status == 200, r
            assert len(r.json["items"]) <= 2
            seen += [o["id"] for o in r.json["items"]]
            cursor = r.json["next_cursor"]
            pages += 1
            if not cursor:
                break
            assert len(r.json["items"]) == 2
            assert pages < 500
        assert seen == [o["id"] for o in full], extra
        assert len(seen) == len(set(seen))
    # a page size equal to the total gives no next cursor
    n = len(all_items(server, "sysadmin", "/api/v1/orgs"))
    r = server.as_user("sysadmin", "GET", f"/api/v1/orgs?limit={n}")
    assert len(r.json["items"]) == n and r.json["next_cursor"] is None


def test_org_sort_descending(server):
    asc = [o["id"] for o in all_items(server, "sysadmin", "/api/v1/orgs")]
    desc, cursor = [], None
    while True:
        r = server.as_user("sysadmin", "GET", "/api/v1/orgs?sort=-id&limit=3" + (f"&cursor={cursor}" if cursor else ""))
        assert r.status == 200, r
        desc += [o["id"] for o in r.json["items"]]
        cursor = r.json["next_cursor"]
        if not cursor:
            break
    assert desc == list(reversed(asc))
    assert_error(server.as_user("sysadmin", "GET", "/api/v1/orgs?sort=name"), 400, "bad_request", "sort")


@pytest.mark.parametrize("query,field", [
    ("cursor=notacursor", "cursor"), ("cursor=", "cursor"), ("cursor=aTEyMw%3D%3D", "cursor"),
    ("limit=0", "limit"), ("limit=201", "limit"), ("limit=-1", "limit"), ("limit=abc", "limit"), ("limit=", "limit"),
    ("colour=red", "colour"), ("contact=x", "contact"),
])
def test_org_list_bad_parameters(server, query, field):
    assert_error(server.as_user("sysadmin", "GET", "/api/v1/orgs?" + query), 400, "bad_request", field)


def test_org_list_limit_bounds_ok(server):
    assert len(server.as_user("sysadmin", "GET", "/api/v1/orgs?limit=1").json["items"]) == 1
    assert server.as_user("sysadmin", "GET", "/api/v1/orgs?limit=200").status == 200


def test_get_org(server):
    r = server.as_user("sysadmin", "GET", f"/api/v1/orgs/{HEALTH}")
    assert r.status == 200, r
    assert r.json["id"] == HEALTH and r.json["name"] == "市卫生健康委员会"
    assert r.headers["etag"] == f'"{r.json["version"]}"'
    for bad in ("999999", "0", "-1", "abc", "1.5", "9999999999999999999999"):
        assert_error(server.as_user("sysadmin", "GET", f"/api/v1/orgs/{bad}"), 404, "not_found")


def test_create_org(server):
    name = uniq("新建单位 ")
    r = server.as_user("sysadmin", "POST", "/api/v1/orgs",
                       {"name": name, "party": "customer", "parent_id": EDU, "contact": "王五", "phone": "020-12345678"})
    assert r.status == 201, r
    o = r.json
    assert o["name"] == name and o["party"] == "customer" and o["parent_id"] == EDU
    assert o["contact"] == "王五" and o["phone"] == "020-12345678"
    assert o["version"] == 1 and o["active"] is True
    assert r.headers["location"] == f"/api/v1/orgs/{o['id']}"
    assert r.headers["etag"] == '"1"'
    g = server.as_user("sysadmin", "GET", r.headers["location"])
    assert g.status == 200 and g.json == o
    # a root organisation of another party
    r = server.as_user("sysadmin", "POST", "/api/v1/orgs", {"name": uniq("Provider "), "party": "service"})
    assert r.status == 201 and r.json["parent_id"] is None


@pytest.mark.parametrize("body,status,code,field", [
    ({"name": "   ", "party": "customer"}, 400, "validation_failed", "name"),
    ({"name": "", "party": "customer"}, 400, "validation_failed", "name"),
    ({"name": "X", "party": "customer"}, 400, "validation_failed", "name"),
    ({"name": "N" * 101, "party": "customer"}, 400, "validation_failed", "name"),
    ({"name": "bad\x01name", "party": "customer"}, 400, "validation_failed", "name"),
    ({"party": "customer"}, 400, "validation_failed", "name"),
    ({"name": "UNIQ"}, 400, "validation_failed", "party"),
    ({"name": "UNIQ", "party": "government"}, 400, "validation_failed", "party"),
    ({"name": "UNIQ", "party": "customer", "parent_id": P1}, 400, "validation_failed", "parent_id"),
    ({"name": "UNIQ", "party": "service", "parent_id": EDU}, 400, "validation_failed", "parent_id"),
    ({"name": "UNIQ", "party": "customer", "parent_id": 999999}, 400, "validation_failed", "parent_id"),
    ({"name": "UNIQ", "party": "customer", "parent_id": 0}, 400, "validation_failed", "parent_id"),
    ({"name": "UNIQ", "party": "customer", "id": 5}, 400, "unknown_field", "id"),
    ({"name": "UNIQ", "party": "customer", "active": False}, 400, "unknown_field", "active"),
    ({"name": "UNIQ", "party": "customer", "phone": "1" * 31}, 400, "validation_failed", "phone"),
    ({"name": "市教育局", "party": "customer"}, 409, "conflict", None),
])
def test_create_org_rejected(server, body, status, code, field):
    body = {k: (uniq("Org ") if v == "UNIQ" else v) for k, v in body.items()}
    before = len(all_items(server, "sysadmin", "/api/v1/orgs?active=all"))
    r = server.as_user("sysadmin", "POST", "/api/v1/orgs", body)
    assert_error(r, status, code, field)
    assert len(all_items(server, "sysadmin", "/api/v1/orgs?active=all")) == before


def test_create_org_duplicate_name_409(server):
    name = uniq("Dup ")
    new_org(server, name)
    assert_error(server.as_user("sysadmin", "POST", "/api/v1/orgs", {"name": name, "party": "service"}),
                 409, "conflict")


def test_create_org_only_sysadmin(server):
    for who in ("secadmin", "auditor", "ops.manager", "edu.admin", "supervisor", "p1.pm"):
        r = server.as_user(who, "POST", "/api/v1/orgs", {"name": uniq("Org "), "party": "customer"})
        assert_error(r, 403, "forbidden")


def test_patch_org_with_if_match(server):
    o = new_org(server)
    path = f"/api/v1/orgs/{o['id']}"
    new_name = uniq("Renamed ")
    assert_error(server.as_user("sysadmin", "PATCH", path, {"name": new_name}), 428, "precondition_required", "If-Match")
    assert_error(server.as_user("sysadmin", "PATCH", path, {"name": new_name}, headers={"If-Match": '"7"'}),
                 409, "version_conflict", "If-Match")
    assert_error(server.as_user("sysadmin", "PATCH", path, {"name": new_name}, headers={"If-Match": "x"}),
                 400, "bad_request", "If-Match")
    r = server.as_user("sysadmin", "PATCH", path, {"name": new_name, "contact": "赵六"}, headers={"If-Match": '"1"'})
    assert r.status == 200, r
    assert r.json["name"] == new_name and r.json["contact"] == "赵六" and r.json["version"] == 2
    assert r.headers["etag"] == '"2"'
    assert r.json["party"] == o["party"] and r.json["created_at"] == o["created_at"]
    g = server.as_user("sysadmin", "GET", path).json
    assert g["name"] == new_name and g["version"] == 2
    # the old version is now stale
    assert_error(server.as_user("sysadmin", "PATCH", path, {"name": uniq("Again ")}, headers={"If-Match": '"1"'}),
                 409, "version_conflict")
    # clearing a nullable field
    r = server.as_user("sysadmin", "PATCH", path, {"contact": None}, headers={"If-Match": '"2"'})
    assert r.status == 200 and r.json["contact"] is None and r.json["version"] == 3


def test_patch_org_rejections(server):
    o = new_org(server)
    path = f"/api/v1/orgs/{o['id']}"
    h = {"If-Match": '"1"'}
    assert_error(server.as_user("sysadmin", "PATCH", path, {"party": "service"}, headers=h), 400, "validation_failed", "party")
    assert_error(server.as_user("sysadmin", "PATCH", path, {"name": " "}, headers=h), 400, "validation_failed", "name")
    assert_error(server.as_user("sysadmin", "PATCH", path, {"name": "市教育局"}, headers=h), 409, "conflict")
    assert_error(server.as_user("sysadmin", "PATCH", path, {"version": 5}, headers=h), 400, "unknown_field", "version")
    assert_error(server.as_user("sysadmin", "PATCH", path, {}, headers=h), 400, "validation_failed")
    assert_error(server.as_user("sysadmin", "PATCH", path, {"parent_id": P1}, headers=h), 400, "validation_failed", "parent_id")
    assert_error(server.as_user("sysadmin", "PATCH", "/api/v1/orgs/999999", {"name": uniq("X ")}, headers=h),
                 404, "not_found")
    assert_error(server.as_user("secadmin", "PATCH", path, {"name": uniq("X ")}, headers=h), 403, "forbidden")
    # nothing changed
    assert server.as_user("sysadmin", "GET", path).json["version"] == 1


def test_org_cycles_are_prevented(server):
    a = new_org(server)
    b = new_org(server, parent_id=a["id"])
    c = new_org(server, parent_id=b["id"])
    assert_error(server.as_user("sysadmin", "PATCH", f"/api/v1/orgs/{a['id']}", {"parent_id": c["id"]},
                                headers={"If-Match": '"1"'}), 400, "validation_failed", "parent_id")
    assert_error(server.as_user("sysadmin", "PATCH", f"/api/v1/orgs/{a['id']}", {"parent_id": b["id"]},
                                headers={"If-Match": '"1"'}), 400, "validation_failed", "parent_id")
    assert_error(server.as_user("sysadmin", "PATCH", f"/api/v1/orgs/{a['id']}", {"parent_id": a["id"]},
                                headers={"If-Match": '"1"'}), 400, "validation_failed", "parent_id")
    # moving a subtree elsewhere is fine: c becomes a root, then a goes below c
    r = server.as_user("sysadmin", "PATCH", f"/api/v1/orgs/{c['id']}", {"parent_id": None}, headers={"If-Match": '"1"'})
    assert r.status == 200 and r.json["parent_id"] is None
    r = server.as_user("sysadmin", "PATCH", f"/api/v1/orgs/{a['id']}", {"parent_id": c["id"]}, headers={"If-Match": '"1"'})
    assert r.status == 200 and r.json["parent_id"] == c["id"]
    # and now c cannot go below b (b is below a, which is below c)
    assert_error(server.as_user("sysadmin", "PATCH", f"/api/v1/orgs/{c['id']}", {"parent_id": b["id"]},
                                headers={"If-Match": '"2"'}), 400, "validation_failed", "parent_id")


def test_org_deactivate_and_activate(server):
    a = new_org(server)
    b = new_org(server, parent_id=a["id"])
    c = new_org(server, parent_id=b["id"])
    url = "/api/v1/orgs/{}/{}".format
    # refused while it has active sub-organisations
    assert_error(server.as_user("sysadmin", "POST", url(a["id"], "deactivate")), 409, "conflict")
    assert_error(server.as_user("sysadmin", "POST", url(b["id"], "deactivate")), 409, "conflict")
    r = server.as_user("sysadmin", "POST", url(c["id"], "deactivate"))
    assert r.status == 200, r
    assert r.json["active"] is False and r.json["version"] == 2
    assert r.headers["etag"] == '"2"'
    assert_error(server.as_user("sysadmin", "POST", url(c["id"], "deactivate")), 409, "conflict")
    assert server.as_user("sysadmin", "POST", url(b["id"], "deactivate")).status == 200
    r = server.as_user("sysadmin", "POST", url(a["id"], "deactivate"), headers={"If-Match": '"1"'})
    assert r.status == 200, r
    # no hard delete: still readable, listed with active=false
    g = server.as_user("sysadmin", "GET", f"/api/v1/orgs/{a['id']}")
    assert g.status == 200 and g.json["active"] is False and g.json["name"] == a["name"]
    inactive = {o["id"] for o in all_items(server, "sysadmin", "/api/v1/orgs?active=false")}
    assert {a["id"], b["id"], c["id"]} <= inactive
    assert_error(server.as_user("sysadmin", "DELETE", f"/api/v1/orgs/{a['id']}"), 405, "method_not_allowed")
    # a deactivated organisation takes no new children or users
    r = server.as_user("sysadmin", "POST", "/api/v1/orgs", {"name": uniq("Child "), "party": "customer", "parent_id": a["id"]})
    assert_error(r, 400, "validation_failed", "parent_id")
    r = server.as_user("sysadmin", "POST", "/api/v1/users", {"username": uniq("u"), "display_name": "X", "org_id": a["id"],
                                                             "roles": ["requester"], "password": STRONG_PASSWORD})
    assert_error(r, 400, "validation_failed", "org_id")
    # a child cannot come back before its parent
    assert_error(server.as_user("sysadmin", "POST", url(b["id"], "activate")), 409, "conflict")
    r = server.as_user("sysadmin", "POST", url(a["id"], "activate"))
    assert r.status == 200 and r.json["active"] is True and r.json["version"] == 3
    assert_error(server.as_user("sysadmin", "POST", url(a["id"], "activate")), 409, "conflict")
    assert server.as_user("sysadmin", "POST", url(b["id"], "activate")).status == 200
    assert server.as_user("sysadmin", "POST", url(c["id"], "activate")).status == 200
    assert a["id"] in {o["id"] for o in all_items(server, "sysadmin", "/api/v1/orgs")}


def test_org_deactivate_refused_with_active_users(server):
    o = new_org(server)
    u = server.create_user(org_id=o["id"])
    assert_error(server.as_user("sysadmin", "POST", f"/api/v1/orgs/{o['id']}/deactivate"), 409, "conflict")
    assert server.as_user("sysadmin", "POST", f"/api/v1/users/{u['id']}/deactivate").status == 200
    assert server.as_user("sysadmin", "POST", f"/api/v1/orgs/{o['id']}/deactivate").status == 200
    # the user cannot be re-activated into a deactivated organisation
    assert_error(server.as_user("sysadmin", "POST", f"/api/v1/users/{u['id']}/activate"), 409, "conflict")


def test_org_deactivate_misc(server):
    o = new_org(server)
    assert_error(server.as_user("sysadmin", "POST", f"/api/v1/orgs/{o['id']}/deactivate", {"reason": "x"}),
                 400, "bad_request")
    assert_error(server.as_user("sysadmin", "POST", f"/api/v1/orgs/{o['id']}/deactivate", headers={"If-Match": '"9"'}),
                 409, "version_conflict")
    assert_error(server.as_user("sysadmin", "POST", "/api/v1/orgs/999999/deactivate"), 404, "not_found")
    assert_error(server.as_user("edu.admin", "POST", f"/api/v1/orgs/{o['id']}/deactivate"), 403, "forbidden")
    assert server.as_user("sysadmin", "GET", f"/api/v1/orgs/{o['id']}").json["active"] is True


# =========================================================================================
# users
# =========================================================================================

def test_create_user(server):
    name = uniq("new.user")
    r = server.as_user("sysadmin", "POST", "/api/v1/users",
                       {"username": name, "display_name": "新用户 甲", "org_id": EDU_IT, "roles": ["requester"],
                        "password": STRONG_PASSWORD, "email": "a@example.org", "phone": "13800000000"})
    assert r.status == 201, r
    u = r.json
    assert u["username"] == name and u["display_name"] == "新用户 甲" and u["org_id"] == EDU_IT
    assert u["roles"] == ["requester"]
    assert u["must_change_password"] is True and u["locked"] is False and u["active"] is True
    assert u["email"] == "a@example.org" and u["version"] == 1 and u["last_login_at"] is None
    assert r.headers["location"] == f"/api/v1/users/{u['id']}"
    assert r.headers["etag"] == '"1"'
    assert_no_secrets(u)
    g = server.as_user("sysadmin", "GET", r.headers["location"])
    assert g.status == 200 and g.json == u
    # several roles of the same party
    r = server.as_user("sysadmin", "POST", "/api/v1/users",
                       {"username": uniq("multi"), "display_name": "Multi", "org_id": P1, "roles": ["engineer", "service_desk"],
                        "password": STRONG_PASSWORD})
    assert r.status == 201, r
    assert sorted(r.json["roles"]) == ["engineer", "service_desk"]


@pytest.mark.parametrize("patch,status,code,field", [
    ({"roles": ["engineer"]}, 400, "validation_failed", "roles"),                 # service role in a customer org
    ({"roles": ["requester", "supervisor"]}, 400, "validation_failed", "roles"),
    ({"org_id": MGMT, "roles": ["requester"]}, 400, "validation_failed", "roles"),
    ({"roles": ["superuser"]}, 400, "validation_failed", "roles"),
    ({"roles": []}, 400, "validation_failed", "roles"),
    ({"roles": "requester"}, 400, "validation_failed", "roles"),
    ({"roles": ["requester", "requester"]}, 400, "validation_failed", "roles"),
    ({"org_id": MGMT, "roles": ["sysadmin"]}, 403, "forbidden", "roles"),
    ({"org_id": MGMT, "roles": ["secadmin"]}, 403, "forbidden", "roles"),
    ({"org_id": MGMT, "roles": ["manager", "auditor"]}, 403, "forbidden", "roles"),
    ({"username": "edu.zhang"}, 409, "conflict", None),
    ({"password": "password"}, 400, "validation_failed", "password"),
    ({"password": "Short1!"}, 400, "validation_failed", "password"),
    ({"password": "alllowercase1"}, 400, "validation_failed", "password"),
    ({"password": None}, 400, "validation_failed", "password"),
    ({"username": "ab"}, 400, "validation_failed", "username"),
    ({"username": ".dotfirst"}, 400, "validation_failed", "username"),
    ({"username": "-dashfirst"}, 400, "validation_failed", "username"),
    ({"username": "has space"}, 400, "validation_failed", "username"),
    ({"username": "名字abc"}, 400, "validation_failed", "username"),
    ({"username": "semi;colon"}, 400, "validation_failed", "username"),
    ({"username": "u" * 65}, 400, "validation_failed", "username"),
    ({"display_name": ""}, 400, "validation_failed", "display_name"),
    ({"org_id": 999999}, 400, "validation_failed", "org_id"),
    ({"org_id": "4"}, 400, "validation_failed", "org_id"),
    ({"must_change_password": False}, 400, "validation_failed", "must_change_password"),
    ({"password_hash": "$argon2id$v=19$m=65536,t=2,p=1$x$y"}, 400, "unknown_field", "password_hash"),
    ({"is_admin": True}, 400, "unknown_field", "is_admin"),
])
def test_create_user_rejected(server, patch, status, code, field):
    body = {"username": uniq("bad"), "display_name": "Bad", "org_id": EDU_IT, "roles": ["requester"],
            "password": STRONG_PASSWORD}
    body.update(patch)
    body = {k: v for k, v in body.items() if v is not None or k != "password"}
    r = server.as_user("sysadmin", "POST", "/api/v1/users", body)
    assert_error(r, status, code, field)
    if patch.get("username") != "edu.zhang":
        r = server.as_user("sysadmin", "GET", "/api/v1/users?active=all&username=" + quote(body["username"]))
        assert r.status != 200 or r.json["items"] == []


def test_create_user_missing_password(server):
    body = {"username": uniq("nopw"), "display_name": "X", "org_id": EDU_IT, "roles": ["requester"]}
    assert_error(server.as_user("sysadmin", "POST", "/api/v1/users", body), 400, "validation_failed", "password")


def test_username_allowed_characters(server):
    for name in (uniq("a.b_c-d@x"), uniq("9"), uniq("Z")):
        r = server.as_user("sysadmin", "POST", "/api/v1/users", {"username": name, "display_name": "X", "org_id": EDU_IT,
                                                                 "roles": ["requester"], "password": STRONG_PASSWORD})
        assert r.status == 201, (name, r)


def test_create_user_only_sysadmin(server):
    body = {"username": uniq("x"), "display_name": "X", "org_id": EDU_IT, "roles": ["requester"], "password": STRONG_PASSWORD}
    for who in ("secadmin", "auditor", "ops.manager", "edu.admin", "p1.pm", "supervisor"):
        assert_error(server.as_user(who, "POST", "/api/v1/users", body), 403, "forbidden")


def test_patch_user(server):
    u = server.create_user(org_id=EDU_IT)
    path = f"/api/v1/users/{u['id']}"
    assert_error(server.as_user("sysadmin", "PATCH", path, {"display_name": "New"}), 428, "precondition_required")
    r = server.as_user("sysadmin", "PATCH", path, {"display_name": "改名 后", "org_id": EDU_OFFICE}, headers={"If-Match": '"1"'})
    assert r.status == 200, r
    assert r.json["display_name"] == "改名 后" and r.json["org_id"] == EDU_OFFICE and r.json["version"] == 2
    assert_no_secrets(r.json)
    h = {"If-Match": '"2"'}
    assert_error(server.as_user("sysadmin", "PATCH", path, {"username": uniq("x")}, headers=h), 400, "validation_failed", "username")
    assert_error(server.as_user("sysadmin", "PATCH", path, {"roles": ["dept_admin"]}, headers=h), 400, "validation_failed", "roles")
    assert_error(server.as_user("sysadmin", "PATCH", path, {"org_id": P1}, headers=h), 400, "validation_failed", "roles")
    assert_error(server.as_user("sysadmin", "PATCH", path, {"must_change_password": False}, headers=h),
                 400, "validation_failed", "must_change_password")
    assert_error(server.as_user("sysadmin", "PATCH", path, {"display_name": "X"}, headers={"If-Match": '"1"'}),
                 409, "version_conflict")
    assert_error(server.as_user("secadmin", "PATCH", path, {"display_name": "X"}, headers=h), 403, "forbidden")


def test_put_roles_by_secadmin(server):
    u = server.create_user(org_id=EDU_IT)
    path = f"/api/v1/users/{u['id']}/roles"
    body = {"roles": ["dept_admin", "requester"]}
    assert_error(server.as_user("secadmin", "PUT", path, body), 428, "precondition_required", "If-Match")
    assert_error(server.as_user("secadmin", "PUT", path, body, headers={"If-Match": '"4"'}), 409, "version_conflict")
    assert_error(server.as_user("sysadmin", "PUT", path, body, headers={"If-Match": '"1"'}), 403, "forbidden")
    assert_error(server.as_user("auditor", "PUT", path, body, headers={"If-Match": '"1"'}), 403, "forbidden")
    assert_error(server.as_user("secadmin", "PUT", path, {"roles": ["engineer"]}, headers={"If-Match": '"1"'}),
                 400, "validation_failed", "roles")
    assert_error(server.as_user("secadmin", "PUT", path, {}, headers={"If-Match": '"1"'}), 400, "validation_failed", "roles")
    assert_error(server.as_user("secadmin", "PUT", path, {"roles": ["requester"], "x": 1}, headers={"If-Match": '"1"'}),
                 400, "unknown_field", "x")
    r = server.as_user("secadmin", "PUT", path, body, headers={"If-Match": '"1"'})
    assert r.status == 200, r
    assert r.json["roles"] == ["dept_admin", "requester"] and r.json["version"] == 2
    assert r.headers["etag"] == '"2"'
    assert_no_secrets(r.json)
    assert server.as_user("sysadmin", "GET", f"/api/v1/users/{u['id']}").json["roles"] == ["dept_admin", "requester"]
    assert_error(server.as_user("secadmin", "PUT", "/api/v1/users/999999/roles", body, headers={"If-Match": '"1"'}),
                 404, "not_found")


def test_role_change_applies_to_existing_sessions(server):
    u, _ = server.ready_user(org_id=EDU_IT)
    assert_error(server.as_user(u["username"], "GET", "/api/v1/users"), 403, "forbidden")
    cur = server.as_user("sysadmin", "GET", f"/api/v1/users/{u['id']}")
    r = server.as_user("secadmin", "PUT", f"/api/v1/users/{u['id']}/roles", {"roles": ["dept_admin"]},
                       headers={"If-Match": cur.headers["etag"]})
    assert r.status == 200, r
    r = server.as_user(u["username"], "GET", "/api/v1/users")
    assert r.status == 200, r


def test_admin_roles_are_separated(server):
    u = server.create_user(org_id=MGMT, roles=["manager"])
    path = f"/api/v1/users/{u['id']}/roles"
    for roles in (["sysadmin", "auditor"], ["secadmin", "auditor"], ["sysadmin", "secadmin"],
                  ["sysadmin", "secadmin", "auditor"], ["manager", "sysadmin", "auditor"]):
        r = server.as_user("secadmin", "PUT", path, {"roles": roles}, headers={"If-Match": '"1"'})
        assert_error(r, 400, "validation_failed", "roles")
    # one administrator role (with manager) is fine, and only the secadmin grants it
    r = server.as_user("secadmin", "PUT", path, {"roles": ["manager", "auditor"]}, headers={"If-Match": '"1"'})
    assert r.status == 200, r
    assert r.json["roles"] == ["auditor", "manager"]
    # the security administrator cannot add a second administrator role to themself either
    me = server.user("secadmin")
    r = server.as_user("secadmin", "PUT", f"/api/v1/users/{me['id']}/roles", {"roles": ["secadmin", "auditor"]},
                       headers={"If-Match": f'"{me["version"]}"'})
    assert_error(r, 400, "validation_failed", "roles")
    # ... nor drop their own secadmin role
    r = server.as_user("secadmin", "PUT", f"/api/v1/users/{me['id']}/roles", {"roles": ["manager"]},
                       headers={"If-Match": f'"{me["version"]}"'})
    assert_error(r, 409, "conflict", "roles")
    assert server.user("secadmin")["roles"] == ["secadmin"]


def test_dept_admin_sees_own_org_tree_only(server):
    orgs = all_items(server, "sysadmin", "/api/v1/orgs?active=all")
    edu_tree = subtree(orgs, EDU)
    assert edu_tree >= {EDU, EDU_OFFICE, EDU_IT}
    got = all_items(server, "edu.admin", "/api/v1/users?active=all")
    assert got, "edu.admin sees at least itself"
    assert all(u["org_id"] in edu_tree for u in got), [u["username"] for u in got if u["org_id"] not in edu_tree]
    names = {u["username"] for u in got}
    assert {"edu.admin", "edu.zhang"} <= names
    assert not names & {"health.li", "health.admin", "sysadmin", "p1.eng", "transport.chen"}
    # exactly the users of that subtree
    everyone = all_items(server, "sysadmin", "/api/v1/users?active=all")
    assert names == {u["username"] for u in everyone if u["org_id"] in edu_tree}
    # direct reads outside the tree are 404 (not even existence leaks)
    health_li = server.user("health.li")
    assert_error(server.as_user("edu.admin", "GET", f"/api/v1/users/{health_li['id']}"), 404, "not_found")
    zhang = server.user("edu.zhang")
    r = server.as_user("edu.admin", "GET", f"/api/v1/users/{zhang['id']}")
    assert r.status == 200 and r.json["username"] == "edu.zhang"
    # filters do not widen the scope
    assert all_items(server, "edu.admin", f"/api/v1/users?org_id={HEALTH_IT}") == []
    assert all_items(server, "edu.admin", "/api/v1/users?username=health.li") == []
    assert all_items(server, "edu.admin", "/api/v1/users?q=health") == []
    # paging within the scope walks the same set
    seen, cursor = [], None
    while True:
        r = server.as_user("edu.admin", "GET", "/api/v1/users?active=all&limit=1" + (f"&cursor={cursor}" if cursor else ""))
        seen += [u["username"] for u in r.json["items"]]
        cursor = r.json["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(names)
    # health.admin sees the health tree, not edu
    hnames = {u["username"] for u in all_items(server, "health.admin", "/api/v1/users")}
    assert {"health.admin", "health.li"} <= hnames and "edu.zhang" not in hnames


def test_provider_manager_sees_own_org_tree(server):
    orgs = all_items(server, "sysadmin", "/api/v1/orgs?active=all")
    p1_tree = subtree(orgs, P1)
    got = all_items(server, "p1.pm", "/api/v1/users")
    names = {u["username"] for u in got}
    assert {"p1.desk", "p1.eng", "p1.pm"} <= names
    assert all(u["org_id"] in p1_tree for u in got)
    assert not names & {"p2.desk", "p2.eng", "p2.pm", "edu.zhang"}
    assert_error(server.as_user("p1.pm", "GET", f"/api/v1/users/{server.user('p2.eng')['id']}"), 404, "not_found")
    p2_names = {u["username"] for u in all_items(server, "p2.pm", "/api/v1/users")}
    assert {"p2.desk", "p2.eng", "p2.pm"} <= p2_names and "p1.eng" not in p2_names


def test_wide_readers_see_all_users(server):
    everyone = {u["username"] for u in all_items(server, "sysadmin", "/api/v1/users")}
    for who in ("secadmin", "ops.manager", "supervisor", "p1.desk"):
        assert {u["username"] for u in all_items(server, who, "/api/v1/users")} == everyone, who


def test_requester_and_engineer_cannot_list_users(server):
    zhang = server.user("edu.zhang")
    for who in ("edu.zhang", "health.li", "p1.eng", "p2.eng", "auditor"):
        assert_error(server.as_user(who, "GET", "/api/v1/users"), 403, "forbidden")
        assert_error(server.as_user(who, "GET", f"/api/v1/users/{zhang['id']}"), 403, "forbidden")


def test_user_list_filters(server):
    got = all_items(server, "sysadmin", f"/api/v1/users?org_id={P1}")
    assert {"p1.desk", "p1.pm"} <= {u["username"] for u in got} and all(u["org_id"] == P1 for u in got)
    got = all_items(server, "sysadmin", "/api/v1/users?username=p2.pm")
    assert [u["username"] for u in got] == ["p2.pm"]
    got = all_items(server, "sysadmin", "/api/v1/users?q=" + quote("运维工程师"))
    assert {"p1.eng", "p2.eng"} <= {u["username"] for u in got}
    for q in ("password_hash=x", "roles=sysadmin", "locked_until=1", "must_change_password=true", "bogus=1"):
        assert_error(server.as_user("sysadmin", "GET", "/api/v1/users?" + q), 400, "bad_request")


def test_deactivating_a_user_ends_sessions_and_logins(server):
    u, pw = server.ready_user(org_id=HEALTH_IT)
    token = server.tokens[u["username"]]
    assert server.request("GET", "/api/v1/me", token=token).status == 200
    r = server.as_user("sysadmin", "POST", f"/api/v1/users/{u['id']}/deactivate")
    assert r.status == 200, r
    assert r.json["active"] is False
    assert_no_secrets(r.json)
    assert_error(server.request("GET", "/api/v1/me", token=token), 401, "unauthenticated")
    assert_error(server.try_login(u["username"], pw), 401, "unauthenticated")
    # still readable, not deleted
    g = server.as_user("sysadmin", "GET", f"/api/v1/users/{u['id']}")
    assert g.status == 200 and g.json["active"] is False
    assert u["id"] not in {x["id"] for x in all_items(server, "sysadmin", "/api/v1/users")}
    assert u["id"] in {x["id"] for x in all_items(server, "sysadmin", "/api/v1/users?active=false")}
    assert_error(server.as_user("sysadmin", "DELETE", f"/api/v1/users/{u['id']}"), 405, "method_not_allowed")
    # activating lets the user log in again, but the old session stays ended
    r = server.as_user("sysadmin", "POST", f"/api/v1/users/{u['id']}/activate")
    assert r.status == 200 and r.json["active"] is True
    assert_error(server.request("GET", "/api/v1/me", token=token), 401, "unauthenticated")
    assert server.try_login(u["username"], pw).status == 201


def test_cannot_deactivate_yourself(server):
    me = server.user("sysadmin")
    assert_error(server.as_user("sysadmin", "POST", f"/api/v1/users/{me['id']}/deactivate"), 409, "conflict")
    assert server.as_user("sysadmin", "GET", "/api/v1/me").status == 200


def test_deactivate_user_permissions(server):
    u = server.create_user()
    for who in ("secadmin", "auditor", "edu.admin", "ops.manager"):
        assert_error(server.as_user(who, "POST", f"/api/v1/users/{u['id']}/deactivate"), 403, "forbidden")


def test_users_never_expose_password_hash(server):
    u, pw = server.ready_user(org_id=EDU_IT)
    bodies = [
        server.as_user("sysadmin", "GET", "/api/v1/users?active=all&limit=200").json,
        server.as_user("sysadmin", "GET", f"/api/v1/users/{u['id']}").json,
        server.as_user("edu.admin", "GET", "/api/v1/users").json,
        server.as_user("supervisor", "GET", "/api/v1/users?q=edu").json,
        server.as_user(u["username"], "GET", "/api/v1/me").json,
        server.try_login(u["username"], pw).json,
        server.as_user("sysadmin", "PATCH", f"/api/v1/users/{u['id']}", {"phone": "123"},
                       headers={"If-Match": f'"{server.user(u["username"])["version"]}"'}).json,
        server.as_user("secadmin", "POST", f"/api/v1/users/{u['id']}/unlock").json,
    ]
    for b in bodies:
        assert b is not None
        assert_no_secrets(b)
        assert "$argon2" not in str(b)


def test_roles_catalogue(server):
    r = server.as_user("sysadmin", "GET", "/api/v1/roles")
    assert r.status == 200
    by_name = {x["name"]: x for x in r.json["items"]}
    assert set(by_name) == {"sysadmin", "secadmin", "auditor", "manager", "dept_admin", "requester", "supervisor",
                            "service_desk", "engineer", "provider_manager"}
    assert by_name["auditor"]["permissions"] == [{"resource": "audit", "action": "read", "scope": "all"}]
    assert by_name["dept_admin"]["party"] == "customer"
    assert {"resource": "user", "action": "read", "scope": "own_org_tree"} in by_name["dept_admin"]["permissions"]
    assert not any(p["resource"] == "audit" for p in by_name["sysadmin"]["permissions"])
