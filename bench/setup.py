#!/usr/bin/python3
"""setup.py — what bench/run.sh needs from a running server before it starts wrk.

    bench/setup.py BASE_URL      (e.g. http://127.0.0.1:8123)

Logs in as the service desk (p1.desk) and the operations manager (ops.manager: the desk may
not read SLA reports), finds the demo department the list figure filters on, a work order
the desk may read, and the last complete month; prints shell assignments for `eval`:
    TOKEN=… MGR_TOKEN=… CUSTOMER=… WO_ID=… LIST_ITEMS=… MONTH_FROM=… MONTH_TO=…
Exits 1 with a message when something is missing, so a broken set-up never gets timed.
"""
import datetime
import json
import sys
import urllib.parse
import urllib.request

PASSWORD = "Uniops@2026"  # every demo user's (docs/demo.md)
DEPARTMENT = "市教育局信息中心"
CST = datetime.timezone(datetime.timedelta(hours=8))


def call(base, method, path, token=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:
        sys.exit("setup.py: %s %s: %d %s" % (method, path, e.code, e.read().decode(errors="replace")[:300]))


def login(base, user):
    return call(base, "POST", "/api/v1/sessions", body={"username": user, "password": PASSWORD})["token"]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: bench/setup.py BASE_URL")
    base = sys.argv[1].rstrip("/")
    desk, mgr = login(base, "p1.desk"), login(base, "ops.manager")
    orgs = call(base, "GET", "/api/v1/orgs?limit=200&q=" + urllib.parse.quote(DEPARTMENT), mgr)["items"]
    dept = [o["id"] for o in orgs if o["name"] == DEPARTMENT]
    if not dept:
        sys.exit("setup.py: no department %s: is this the demo database?" % DEPARTMENT)
    customer = dept[0]
    listed = call(base, "GET", "/api/v1/work-orders?customer_org_id=%d&state=in_progress&breached=true&limit=50"
                  % customer, desk)["items"]
    # a closed order the desk may read (provider p1): the GET figure fetches it over and over
    sample = call(base, "GET", "/api/v1/work-orders?customer_org_id=%d&state=closed&limit=1" % customer, desk)["items"]
    if not sample:
        sys.exit("setup.py: the desk sees no closed work order of %s" % DEPARTMENT)
    today = datetime.datetime.now(CST).date()
    first = today.replace(day=1)
    prev = (first - datetime.timedelta(days=1)).replace(day=1)
    fmt = lambda d: urllib.parse.quote(datetime.datetime(d.year, d.month, d.day, tzinfo=CST).isoformat(), safe="")
    print("TOKEN=%s MGR_TOKEN=%s CUSTOMER=%d WO_ID=%d LIST_ITEMS=%d MONTH_FROM=%s MONTH_TO=%s"
          % (desk, mgr, customer, sample[0]["id"], len(listed), fmt(prev), fmt(first)))


if __name__ == "__main__":
    main()
