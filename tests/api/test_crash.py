"""Crash safety (issue: benchmarks and reliability): clients create and rename organisations
while the server is killed with SIGKILL at random moments, over and over, and restarted on the
same database. Afterwards every acknowledged write is there (an organisation is at the
acknowledged version with the acknowledged name, or exactly one further version: the rename
that was in flight when the server died), nothing is half-written (each organisation has its
audit create record and one audit update record per version), and `uniops audit verify`
passes. Runs on SQLite (make api) and PostgreSQL (make api-pg)."""
import http.client
import random
import signal
import threading
import time

from uniops_client import Server, db_exec, uniq

KILLS = 22
THREADS = 3
TIME_BUDGET_S = 45  # stop killing after this long even if fewer kills happened (then fail)


class Org:
    """What one client thread knows of an organisation it owns."""

    def __init__(self, oid, name):
        self.id = oid
        self.version = 1      # last acknowledged version
        self.name = name      # and its name
        self.pending = None   # (version, name) of a rename sent but never answered


class Client:
    def __init__(self, n, tag, rng):
        self.n = n
        self.tag = tag
        self.rng = rng
        self.orgs = []            # acknowledged creates (Org)
        self.unanswered = set()   # names of creates sent but never answered
        self.i = 0
        self.failures = []
        self.writes = 0

    def run(self, server, token, stop):
        """Writes until stop is set or the server dies under us."""
        while not stop.is_set():
            try:
                if not self.orgs or self.rng.random() < 0.4:
                    self.create(server, token)
                else:
                    self.rename(server, token, self.rng.choice(self.orgs))
                self.writes += 1
            except (OSError, http.client.HTTPException):
                return  # killed mid-request: the pending state says what may have happened
            if self.failures:
                return

    def create(self, server, token):
        name = f"{self.tag} c{self.n}-{self.i}"
        self.i += 1
        self.unanswered.add(name)
        r = server.request("POST", "/api/v1/orgs", {"name": name, "party": "customer"}, token=token)
        if r.status != 201 or r.json["name"] != name or r.json["version"] != 1:
            self.failures.append(f"create: {r}")
            return
        self.unanswered.discard(name)
        self.orgs.append(Org(r.json["id"], name))

    def rename(self, server, token, org):
        if org.pending:
            # the last rename's fate is unknown: learn it first
            r = server.request("GET", f"/api/v1/orgs/{org.id}", token=token)
            if r.status != 200:
                self.failures.append(f"get {org.id}: {r}")
                return
            got = (r.json["version"], r.json["name"])
            if got == org.pending:
                org.version, org.name = got
            elif got != (org.version, org.name):
                self.failures.append(f"org {org.id} is {got}: neither {(org.version, org.name)} nor {org.pending}")
                return
            org.pending = None
        name = f"{self.tag} r{self.n}-{self.i}"
        self.i += 1
        org.pending = (org.version + 1, name)
        r = server.request("PATCH", f"/api/v1/orgs/{org.id}", {"name": name}, token=token,
                           headers={"If-Match": f'"{org.version}"'})
        if r.status != 200 or (r.json["version"], r.json["name"]) != org.pending:
            self.failures.append(f"rename {org.id}: {r}")
            return
        org.version, org.name = org.pending
        org.pending = None


def rows(db, sql):
    return [line.split("|") for line in db_exec(db, sql).strip().splitlines() if line.strip()]


def test_acknowledged_writes_survive_sigkill():
    first = Server(demo=True)
    servers = [first]
    tag = uniq("crash")
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    clients = [Client(n, tag, random.Random(seed + n)) for n in range(THREADS)]
    kills = 0
    started = time.monotonic()
    try:
        srv = first
        token = first.login("sysadmin")  # sessions live in the database: the token outlives restarts
        while kills < KILLS and time.monotonic() - started < TIME_BUDGET_S:
            stop = threading.Event()
            threads = [threading.Thread(target=c.run, args=(srv, token, stop)) for c in clients]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(0.05, 0.6))
            srv.proc.send_signal(signal.SIGKILL)  # while requests are in flight
            srv.stop(signal.SIGKILL)
            kills += 1
            stop.set()
            for t in threads:
                t.join()
            for c in clients:
                assert not c.failures, (seed, c.failures[:3])
            srv = Server(demo=False, db=first.db)
            servers.append(srv)
        assert kills >= 20, f"only {kills} kills in {TIME_BUDGET_S} s"

        # settle every rename left pending, through the last server
        for c in clients:
            for org in c.orgs:
                if org.pending:
                    c.rename(srv, token, org)
            assert not c.failures, (seed, c.failures[:3])
        srv.stop()
        db = first.db

        writes = sum(c.writes for c in clients)
        assert writes > 100, f"the load hardly ran: {writes} writes"
        stored = {int(i): (int(v), n) for i, v, n in rows(db, f"SELECT id, version, name FROM orgs"
                                                             f" WHERE name LIKE '{tag} %'")}
        acked = {org.id: org for c in clients for org in c.orgs}
        for oid, org in acked.items():
            assert oid in stored, f"acknowledged create of org {oid} lost (seed {seed})"
            assert stored[oid] == (org.version, org.name), (oid, stored[oid], org.version, org.name)
        # the rest are creates that were in flight at a kill: committed or not, but only those
        unanswered = set().union(*(c.unanswered for c in clients))
        for oid in set(stored) - set(acked):
            assert stored[oid] == (1, stored[oid][1]) and stored[oid][1] in unanswered, (oid, stored[oid])

        # nothing half-written: a create record per organisation, an update record per version
        assert rows(db, "SELECT COUNT(*) FROM orgs o WHERE NOT EXISTS (SELECT 1 FROM audit_log a"
                        " WHERE a.resource = 'org' AND a.action = 'create' AND a.resource_id = CAST(o.id AS TEXT))"
                    ) == [["0"]]
        assert rows(db, "SELECT COUNT(*) FROM orgs") == rows(
            db, "SELECT COUNT(*) FROM audit_log WHERE resource = 'org' AND action = 'create'")
        updates = {int(i): int(n) for i, n in rows(
            db, "SELECT resource_id, COUNT(*) FROM audit_log WHERE resource = 'org' AND action = 'update'"
                " GROUP BY resource_id")}
        for oid, (version, _) in stored.items():
            assert updates.get(oid, 0) == version - 1, (oid, version, updates.get(oid, 0))

        p = srv.cli(["audit", "verify"])
        assert p.returncode == 0, p.stderr
        print(f"crash test: {kills} kills, {writes} acknowledged writes, {len(stored)} orgs, seed {seed}")
    finally:
        for s in reversed(servers):  # the first last: its folder holds the SQLite database
            s.close()
