"""The service catalogue (clause 6.1.5): tree rules, validation, who may change it, and the
demo catalogue covering every service content item of clause 8."""
import urllib.parse


def test_demo_catalogue_covers_clause_8(server):
    r = server.as_user("edu.zhang", "GET", "/api/v1/catalog/tree")
    assert r.status == 200, r
    areas = r.json["items"]
    assert [a["clause"] for a in areas] == ["8.1", "8.2", "8.3"]
    groups = {g["clause"] for a in areas for g in a["children"]}
    want = {"8.1.1", "8.1.2", "8.1.3", "8.1.4", "8.2.1", "8.2.2", "8.2.3", "8.2.4", "8.2.5",
            "8.3.1", "8.3.2", "8.3.3", "8.3.4"}
    assert groups == want
    for a in areas:
        for g in a["children"]:
            assert g["children"], f"group {g['clause']} has no items"
            for it in g["children"]:
                assert it["level"] == "item" and it["service_mode"] and it["default_priority"]
                assert it["object_classes"]
    names = {it["name"] for a in areas for g in a["children"] for it in g["children"]}
    for must in ("热线支持", "会议保障", "云资源信息校核", "重要保障", "渗透测试", "安全通告", "安全应急演练"):
        assert must in names


def test_filters_and_search(server):
    r = server.as_user("p1.eng", "GET", "/api/v1/catalog?level=item&clause=8.1.3&limit=200")
    assert r.status == 200
    assert len(r.json["items"]) == 11
    r = server.as_user("p1.eng", "GET", "/api/v1/catalog?q=" + urllib.parse.quote("漏洞"))
    assert {i["name"] for i in r.json["items"]} == {"漏洞扫描", "漏洞管理"}
    r = server.as_user("p1.eng", "GET", "/api/v1/catalog?service_mode=teleport")
    assert r.status == 400 and r.error["field"] == "service_mode"


def find(server, code):
    return server.as_user("ops.manager", "GET", f"/api/v1/catalog?code={code}").json["items"][0]


def test_manager_creates_and_edits_items(server):
    group = find(server, "A1.3")
    body = {"level": "item", "parent_id": group["id"], "code": "T-1", "name": "打印机耗材更换",
            "service_mode": "on_site", "default_priority": "P4", "object_classes": ["office_equipment"],
            "needs_approval": True}
    r = server.as_user("ops.manager", "POST", "/api/v1/catalog", body)
    assert r.status == 201, r
    item = r.json
    assert item["object_classes"] == ["office_equipment"] and item["needs_approval"] is True
    r = server.as_user("ops.manager", "PATCH", f"/api/v1/catalog/{item['id']}",
                       {"default_priority": "P3", "object_classes": ["office_equipment", "network"]},
                       headers={"If-Match": '"1"'})
    assert r.status == 200, r
    assert r.json["default_priority"] == "P3" and r.json["object_classes"] == ["office_equipment", "network"]
    r = server.as_user("ops.manager", "PATCH", f"/api/v1/catalog/{item['id']}", {"name": "x"},
                       headers={"If-Match": '"1"'})
    assert r.status == 409 and r.error["code"] == "version_conflict"
    # duplicate code
    r = server.as_user("ops.manager", "POST", "/api/v1/catalog", dict(body, name="另一个"))
    assert r.status == 409


def test_tree_shape_rules(server):
    area = find(server, "A1")
    group = find(server, "A1.3")
    item = find(server, "A1.3.1")
    cases = [
        ({"level": "area", "code": "Z1", "name": "n", "parent_id": area["id"]}, "parent_id"),
        ({"level": "group", "code": "Z2", "name": "n"}, "parent_id"),
        ({"level": "group", "code": "Z3", "name": "n", "parent_id": group["id"]}, "parent_id"),
        ({"level": "item", "code": "Z4", "name": "n", "parent_id": area["id"], "service_mode": "remote",
          "default_priority": "P3"}, "parent_id"),
        ({"level": "item", "code": "Z5", "name": "n", "parent_id": item["id"], "service_mode": "remote",
          "default_priority": "P3"}, "parent_id"),
        ({"level": "item", "code": "Z6", "name": "n", "parent_id": group["id"], "default_priority": "P3"},
         "service_mode"),
        ({"level": "item", "code": "Z7", "name": "n", "parent_id": group["id"], "service_mode": "remote"},
         "default_priority"),
        ({"level": "group", "code": "Z8", "name": "n", "parent_id": area["id"], "service_mode": "remote"}, "level"),
        ({"level": "item", "code": "Z9", "name": "n", "parent_id": group["id"], "service_mode": "remote",
          "default_priority": "P3", "object_classes": ["spaceship"]}, "object_classes"),
        ({"level": "item", "code": "Z10", "name": "n", "parent_id": group["id"], "service_mode": "remote",
          "default_priority": "P3", "object_classes": ["server", "server"]}, "object_classes"),
        ({"level": "item", "code": "Z11", "name": "n", "parent_id": group["id"], "service_mode": "remote",
          "default_priority": "P5"}, "default_priority"),
        ({"level": "item", "code": "", "name": "n", "parent_id": group["id"], "service_mode": "remote",
          "default_priority": "P3"}, "code"),
    ]
    for body, field in cases:
        r = server.as_user("ops.manager", "POST", "/api/v1/catalog", body)
        assert r.status == 400, (body, r)
        assert r.error["field"] == field, (body, r)


def test_only_management_changes_the_catalogue(server):
    group = find(server, "A1.3")
    body = {"level": "item", "parent_id": group["id"], "code": "F-1", "name": "n", "service_mode": "remote",
            "default_priority": "P3"}
    for user in ("sysadmin", "edu.admin", "p1.pm", "supervisor", "secadmin"):
        assert server.as_user(user, "POST", "/api/v1/catalog", body).status == 403, user
        assert server.as_user(user, "GET", "/api/v1/catalog").status == 200, user
    assert server.as_user("auditor", "GET", "/api/v1/catalog").status == 403


def test_deactivate_group_needs_empty_children(server):
    group = find(server, "A2.5")
    r = server.as_user("ops.manager", "POST", f"/api/v1/catalog/{group['id']}/deactivate")
    assert r.status == 409
