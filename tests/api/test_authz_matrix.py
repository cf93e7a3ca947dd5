"""The authorisation matrix: every endpoint tried as every role of every party and as an
anonymous caller, against the declared table below. A new route in src/http/routes.c that
is not declared here fails the test. Requests use an id that does not exist and bodies that
do not validate, so an allowed caller gets 400/404/409/428 (never 401/403) and nothing
changes; a denied caller gets 403 before anything else is looked at."""
import os
import re

import pytest

ROUTES_C = os.path.join(os.path.dirname(__file__), "..", "..", "src", "http", "routes.c")

SYSADMIN, SECADMIN, AUDITOR, MANAGER = "sysadmin", "secadmin", "auditor", "ops.manager"
DEPT_ADMIN, REQUESTER, SUPERVISOR = "edu.admin", "edu.zhang", "supervisor"
DESK, ENGINEER, PM = "p1.desk", "p1.eng", "p1.pm"
ROLES = [SYSADMIN, SECADMIN, AUDITOR, MANAGER, DEPT_ADMIN, REQUESTER, SUPERVISOR, DESK, ENGINEER, PM]

PUBLIC = "public"
ALL = set(ROLES)
NON_AUDITOR = ALL - {AUDITOR}
ORG_READ = NON_AUDITOR
USER_READ = {SYSADMIN, SECADMIN, MANAGER, DEPT_ADMIN, SUPERVISOR, DESK, PM}
SLA_READ = {SYSADMIN, MANAGER, DEPT_ADMIN, REQUESTER, SUPERVISOR, DESK, ENGINEER, PM}
WO_READ = {MANAGER, SUPERVISOR, DEPT_ADMIN, REQUESTER, DESK, ENGINEER, PM}
WO_CREATE = {MANAGER, DEPT_ADMIN, REQUESTER, DESK}
WO_CALLBACK = {MANAGER, DESK}
REPORT = {MANAGER, SUPERVISOR, DEPT_ADMIN, PM}

MATRIX = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("PUT", "/api/v1/test/clock"): PUBLIC,
    ("POST", "/api/v1/sessions"): PUBLIC,
    ("DELETE", "/api/v1/sessions/current"): ALL,
    ("GET", "/api/v1/me"): ALL,
    ("POST", "/api/v1/me/password"): ALL,
    ("GET", "/api/v1/orgs"): ORG_READ,
    ("POST", "/api/v1/orgs"): {SYSADMIN},
    ("GET", "/api/v1/orgs/{id}"): ORG_READ,
    ("PATCH", "/api/v1/orgs/{id}"): {SYSADMIN},
    ("POST", "/api/v1/orgs/{id}/deactivate"): {SYSADMIN},
    ("POST", "/api/v1/orgs/{id}/activate"): {SYSADMIN},
    ("GET", "/api/v1/users"): USER_READ,
    ("POST", "/api/v1/users"): {SYSADMIN},
    ("GET", "/api/v1/users/{id}"): USER_READ,
    ("PATCH", "/api/v1/users/{id}"): {SYSADMIN},
    ("POST", "/api/v1/users/{id}/deactivate"): {SYSADMIN},
    ("POST", "/api/v1/users/{id}/activate"): {SYSADMIN},
    ("PUT", "/api/v1/users/{id}/roles"): {SECADMIN},
    ("POST", "/api/v1/users/{id}/unlock"): {SECADMIN},
    ("POST", "/api/v1/users/{id}/password"): {SYSADMIN},
    ("DELETE", "/api/v1/users/{id}/sessions"): {SECADMIN},
    ("GET", "/api/v1/roles"): {SYSADMIN, SECADMIN},
    ("GET", "/api/v1/security-policy"): {SECADMIN},
    ("PATCH", "/api/v1/security-policy"): {SECADMIN},
    ("GET", "/api/v1/catalog"): NON_AUDITOR,
    ("GET", "/api/v1/catalog/tree"): NON_AUDITOR,
    ("POST", "/api/v1/catalog"): {MANAGER},
    ("GET", "/api/v1/catalog/{id}"): NON_AUDITOR,
    ("PATCH", "/api/v1/catalog/{id}"): {MANAGER},
    ("POST", "/api/v1/catalog/{id}/deactivate"): {MANAGER},
    ("POST", "/api/v1/catalog/{id}/activate"): {MANAGER},
    ("GET", "/api/v1/calendars"): NON_AUDITOR,
    ("POST", "/api/v1/calendars"): {MANAGER},
    ("GET", "/api/v1/calendars/{id}"): NON_AUDITOR,
    ("PUT", "/api/v1/calendars/{id}"): {MANAGER},
    ("POST", "/api/v1/calendars/{id}/deactivate"): {MANAGER},
    ("POST", "/api/v1/calendars/{id}/activate"): {MANAGER},
    ("GET", "/api/v1/calendars/{id}/due"): NON_AUDITOR,
    ("GET", "/api/v1/calendars/{id}/elapsed"): NON_AUDITOR,
    ("GET", "/api/v1/sla-agreements"): SLA_READ,
    ("POST", "/api/v1/sla-agreements"): {MANAGER},
    ("GET", "/api/v1/sla-agreements/{id}"): SLA_READ,
    ("PUT", "/api/v1/sla-agreements/{id}"): {MANAGER},
    ("GET", "/api/v1/sla-agreements/{id}/versions"): SLA_READ,
    ("GET", "/api/v1/sla-agreements/{id}/versions/{no}"): SLA_READ,
    ("POST", "/api/v1/sla-agreements/{id}/deactivate"): {MANAGER},
    ("POST", "/api/v1/sla-agreements/{id}/activate"): {MANAGER},
    ("GET", "/api/v1/sla/resolve"): SLA_READ,
    ("GET", "/api/v1/work-orders"): WO_READ,
    ("POST", "/api/v1/work-orders"): WO_CREATE,
    ("GET", "/api/v1/work-orders/callback-sample"): WO_CALLBACK,
    ("GET", "/api/v1/work-orders/{id}"): WO_READ,
    ("POST", "/api/v1/work-orders/{id}/actions"): WO_READ,
    ("POST", "/api/v1/work-orders/{id}/comments"): WO_READ,
    ("POST", "/api/v1/work-orders/{id}/worklogs"): WO_READ,
    ("GET", "/api/v1/work-orders/{id}/events"): WO_READ,
    ("POST", "/api/v1/work-orders/{id}/callbacks"): WO_CALLBACK,
    ("POST", "/api/v1/work-orders/{id}/attachments"): WO_READ,
    ("GET", "/api/v1/work-orders/{id}/attachments"): WO_READ,
    ("GET", "/api/v1/attachments/{id}"): WO_READ,
    ("GET", "/api/v1/sla/achievement"): REPORT,
    ("GET", "/api/v1/sla/self-assessment"): REPORT,
    ("GET", "/api/v1/webhooks"): {SYSADMIN},
    ("POST", "/api/v1/webhooks"): {SYSADMIN},
    ("GET", "/api/v1/webhooks/{id}"): {SYSADMIN},
    ("PATCH", "/api/v1/webhooks/{id}"): {SYSADMIN},
    ("POST", "/api/v1/webhooks/{id}/deactivate"): {SYSADMIN},
    ("POST", "/api/v1/webhooks/{id}/activate"): {SYSADMIN},
    ("GET", "/api/v1/outbox"): {SYSADMIN},
    ("POST", "/api/v1/outbox/{id}/retry"): {SYSADMIN},
    ("GET", "/api/v1/audit"): {AUDITOR},
    ("GET", "/api/v1/audit/verify"): {AUDITOR},
}


def server_routes():
    text = open(ROUTES_C).read()
    return set(re.findall(r'\{"(GET|POST|PUT|PATCH|DELETE)", "([^"]+)"', text))


def test_every_route_is_declared():
    routes = server_routes()
    assert routes, "no routes found in routes.c"
    missing = routes - set(MATRIX)
    stale = set(MATRIX) - routes
    assert not missing, f"routes without a declared authorisation rule: {sorted(missing)}"
    assert not stale, f"declared routes the server does not have: {sorted(stale)}"


def concrete(path):
    return path.replace("{id}", "999999").replace("{no}", "1")


@pytest.mark.parametrize("method,path", sorted(MATRIX))
def test_matrix(server, method, path):
    allowed = MATRIX[(method, path)]
    body = {} if method in ("POST", "PUT", "PATCH") and not path.endswith(("/deactivate", "/activate", "/unlock", "/retry")) else None
    url = concrete(path)
    # anonymous
    r = server.request(method, url, body)
    if allowed == PUBLIC:
        assert r.status not in (401, 403), (method, path, r)
        return
    assert r.status == 401 and r.error["code"] == "unauthenticated", (method, path, r)
    for who in ROLES:
        if (method, path) == ("DELETE", "/api/v1/sessions/current"):
            token = server.try_login(who).json["token"] if hasattr(server, "try_login") else None
            r = server.request(method, url, body, token=token)
        else:
            r = server.as_user(who, method, url, body)
        if who in allowed:
            assert r.status not in (401, 403), (method, path, who, r)
        else:
            assert r.status == 403 and r.error["code"] == "forbidden", (method, path, who, r)
