"""`uniops backup` and `uniops restore` (issue: benchmarks and reliability).

Backups are taken while client threads keep creating organisations through the API. Each one
must be the database as of one moment: every create acknowledged before the backup started is
in it, nothing that was never attempted is, every organisation has its audit record, and the
audit chain verifies. A restored copy serves: a server started on it answers and accepts
writes that continue the chain. SQLite always; PostgreSQL (pg_dump / pg_restore) when
UNIOPS_TEST_PG is set (make api-pg)."""
import os
import subprocess
import tempfile
import threading
import time

import pytest

from uniops_client import BIN, Server, db_exec, fresh_db_url, run_cli, uniq

PG = os.environ.get("UNIOPS_TEST_PG")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(not PG, reason="needs PostgreSQL (make api-pg)"))]


def new_db(backend, tmpdir, name="uniops.db"):
    if backend == "sqlite":
        return "sqlite:" + os.path.join(tmpdir, name)
    return fresh_db_url(tmpdir)


def scalar(db, sql):
    return int(db_exec(db, sql).strip())


class CreateLoad:
    """Threads creating organisations as fast as the server takes them; `acked` records every
    201 with the monotonic time it arrived, `attempted` every name sent."""

    def __init__(self, server, threads=4):
        self.s = server
        self.token = server.login("sysadmin")
        self.tag = uniq("bk")
        self.lock = threading.Lock()
        self.acked = []  # (monotonic time, id, name)
        self.attempted = set()
        self.errors = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(n,)) for n in range(threads)]

    def run(self, n):
        i = 0
        while not self.stop.is_set():
            name = f"{self.tag} 负载 {n}-{i}"
            i += 1
            with self.lock:
                self.attempted.add(name)
            try:
                r = self.s.request("POST", "/api/v1/orgs", {"name": name, "party": "customer"}, token=self.token)
            except OSError as e:
                self.errors.append(repr(e))
                return
            if r.status != 201:
                self.errors.append(repr(r))
                return
            with self.lock:
                self.acked.append((time.monotonic(), r.json["id"], name))

    def acked_until(self, t):
        with self.lock:
            return {oid for (at, oid, _) in self.acked if at <= t}

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join()


def load_orgs(db, tag):
    """{id: name} of the load's organisations in the database behind db."""
    out = db_exec(db, f"SELECT id, name FROM orgs WHERE name LIKE '{tag} %'")
    rows = [line.split("|", 1) for line in out.strip().splitlines() if line.strip()]
    return {int(i): n for i, n in rows}


def check_consistent(db, tag, must_have, may_have_names, ordered):
    """The copy at db holds every id in must_have, only attempted names, an audit record per
    organisation, and (SQLite, where commits are serial) no gap among the load's ids."""
    orgs = load_orgs(db, tag)
    missing = must_have - set(orgs)
    assert not missing, f"acknowledged before the backup started but not in it: {sorted(missing)[:10]}"
    assert set(orgs.values()) <= may_have_names, "the copy holds a name that was never sent"
    without_audit = scalar(db, "SELECT COUNT(*) FROM orgs o WHERE NOT EXISTS (SELECT 1 FROM audit_log a"
                               " WHERE a.resource = 'org' AND a.action = 'create'"
                               " AND a.resource_id = CAST(o.id AS TEXT))")
    assert without_audit == 0, "an organisation without its audit record: half a transaction"
    assert scalar(db, "SELECT COUNT(*) FROM orgs") == scalar(
        db, "SELECT COUNT(*) FROM audit_log WHERE resource = 'org' AND action = 'create'")
    if ordered and orgs:
        # SQLite commits one writer at a time in id order: a snapshot is a prefix.
        lo = min(must_have | set(orgs))
        assert set(orgs) == set(range(lo, max(orgs) + 1)), "a gap: the copy is not one moment"
    return orgs


@pytest.mark.parametrize("backend", BACKENDS)
def test_backup_while_writing_then_restore(backend):
    tmp = tempfile.TemporaryDirectory(prefix="uniops-backup-")
    src = Server(demo=True, db=new_db(backend, tmp.name))
    restored_server = None
    try:
        backups = []
        with CreateLoad(src) as load:
            time.sleep(0.5)
            for k in range(3):
                before = time.monotonic()
                path = os.path.join(tmp.name, f"backup-{k}.bin")
                p = run_cli(["backup", path], src.db)
                after = time.monotonic()
                assert p.returncode == 0, p.stderr
                backups.append((path, load.acked_until(before), load.acked_until(after)))
                time.sleep(0.3)
        assert not load.errors, load.errors[:3]
        assert len(load.acked) > 20, "the load did not get going"

        for k, (path, acked_before, acked_after) in enumerate(backups):
            assert os.path.getsize(path) > 0
            if backend == "sqlite":
                # one self-contained file: no write-ahead log needed next to it
                assert subprocess.run(["sqlite3", path, "PRAGMA journal_mode"], capture_output=True,
                                      text=True).stdout.strip() == "delete"
            target = new_db(backend, tmp.name, f"restored-{k}.db")
            p = run_cli(["restore", path], target)
            assert p.returncode == 0, p.stderr
            assert "audit trail intact" in p.stdout, p.stdout
            orgs = check_consistent(target, load.tag, acked_before, load.attempted, ordered=backend == "sqlite")
            # between what was acknowledged before and after (plus one in flight per thread)
            assert len(acked_before) <= len(orgs) <= len(acked_after) + len(load.threads), \
                (len(acked_before), len(orgs), len(acked_after))
            assert run_cli(["audit", "verify"], target).returncode == 0

        # a server on the last restored copy serves, and the audit chain goes on from there
        restored_server = Server(demo=False, db=target)
        token = restored_server.login("sysadmin")
        r = restored_server.request("GET", "/api/v1/orgs?limit=200&q=" + load.tag, token=token)
        assert r.status == 200
        seen = {o["id"] for o in r.json["items"]}
        while r.json["next_cursor"]:
            r = restored_server.request("GET", f"/api/v1/orgs?limit=200&q={load.tag}&cursor={r.json['next_cursor']}",
                                        token=token)
            seen |= {o["id"] for o in r.json["items"]}
        assert seen == set(orgs)
        r = restored_server.request("POST", "/api/v1/orgs", {"name": uniq("restored "), "party": "customer"},
                                    token=token)
        assert r.status == 201, r
        restored_server.stop()
        p = run_cli(["audit", "verify"], target)
        assert p.returncode == 0, p.stderr
    finally:
        if restored_server:
            restored_server.close()
        src.close()
        tmp.cleanup()


@pytest.mark.parametrize("backend", BACKENDS)
def test_restore_refuses_to_overwrite_without_force(backend):
    tmp = tempfile.TemporaryDirectory(prefix="uniops-backup-")
    try:
        db = new_db(backend, tmp.name)
        run_cli(["demo"], db, check=True)
        path = os.path.join(tmp.name, "b.bin")
        run_cli(["backup", path], db, check=True)
        # the backup file is not overwritten either
        p = run_cli(["backup", path], db)
        assert p.returncode == 1 and "exists" in p.stderr, p.stderr
        assert run_cli(["backup", path, "--force"], db).returncode == 0

        run_cli(["org", "add", "--name", "after the backup", "--party", "customer"], db, check=True)
        p = run_cli(["restore", path], db)
        assert p.returncode == 1, p.stdout
        assert "--force" in p.stderr, p.stderr
        assert scalar(db, "SELECT COUNT(*) FROM orgs WHERE name = 'after the backup'") == 1, "refused, untouched"
        p = run_cli(["restore", path, "--force"], db)
        assert p.returncode == 0, p.stderr
        assert "audit trail intact" in p.stdout
        assert scalar(db, "SELECT COUNT(*) FROM orgs WHERE name = 'after the backup'") == 0, "back to the backup"
        assert run_cli(["audit", "verify"], db).returncode == 0
    finally:
        tmp.cleanup()


def test_backup_and_restore_errors(tmp_path):
    db = "sqlite:" + str(tmp_path / "uniops.db")
    # nothing to back up: no database is created by trying
    p = run_cli(["backup", str(tmp_path / "b.db")], db)
    assert p.returncode == 1 and not (tmp_path / "uniops.db").exists()
    assert not (tmp_path / "b.db").exists()
    # a file that is not a uniops database is refused before the target is created
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    p = run_cli(["restore", str(junk)], db)
    assert p.returncode == 1 and not (tmp_path / "uniops.db").exists(), p.stderr
    empty = "sqlite:" + str(tmp_path / "empty.db")
    subprocess.run(["sqlite3", str(tmp_path / "other.db"), "CREATE TABLE t(x)"], check=True)
    p = run_cli(["restore", str(tmp_path / "other.db")], empty)
    assert p.returncode == 1 and "not a uniops database" in p.stderr, p.stderr
    # missing backup file, and usage errors (exit 2)
    assert run_cli(["restore", str(tmp_path / "nope.db")], db).returncode == 1
    for args in (["backup"], ["restore"], ["backup", "a", "b"], ["restore", "a", "--bogus"]):
        p = subprocess.run([BIN] + args, capture_output=True, text=True, cwd=tmp_path,
                           env=dict(os.environ, UNIOPS_DB=db))
        assert p.returncode == 2, (args, p.stderr)
