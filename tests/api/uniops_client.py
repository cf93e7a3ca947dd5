"""Test helpers: start a real `uniops serve` on a free port with its own database
(SQLite file in a temp dir, or a fresh PostgreSQL database when UNIOPS_TEST_PG is set),
and a tiny JSON HTTP client on http.client (no third-party packages)."""
import http.client
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import uuid

BIN = os.environ.get("UNIOPS_BIN") or os.path.join(os.path.dirname(__file__), "..", "..", "build", "uniops")
DEMO_PASSWORD = "Uniops@2026"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fresh_db_url(tmpdir):
    """A URL for an empty database of the backend under test."""
    pg = os.environ.get("UNIOPS_TEST_PG")
    if not pg:
        return "sqlite:" + os.path.join(tmpdir, "uniops.db")
    name = "t_" + uuid.uuid4().hex[:12]
    subprocess.run(["psql", pg, "-q", "-v", "ON_ERROR_STOP=1", "-c", f"CREATE DATABASE {name}"],
                   check=True, capture_output=True)
    base, _, _ = pg.rpartition("/")
    return f"{base}/{name}"


STRONG_PASSWORD = "Init@Pass2026"   # meets the default policy (8+ characters, 3+ classes)
NEW_PASSWORD = "Chang3d#Pass"       # a second one, for password changes


def uniq(prefix="t"):
    """A short unique name (letters and digits: valid as a username, or inside an org name)."""
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def db_exec(db_url, sql):
    """Runs SQL against the database behind db_url (sqlite:PATH with the sqlite3 CLI, or a
    postgresql:// URL with psql); returns stdout. Raises AssertionError on failure."""
    if db_url.startswith("sqlite:"):
        cmd = ["sqlite3", "-bail", db_url[len("sqlite:"):], sql]
    else:
        cmd = ["psql", db_url, "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", sql]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise AssertionError(f"{cmd[0]} failed ({p.returncode}): {p.stderr}")
    return p.stdout


def run_cli(args, db, stdin=None, check=False):
    """Runs `uniops ARGS --db DB`; returns the CompletedProcess."""
    p = subprocess.run([BIN] + args + ["--db", db], input=stdin, capture_output=True, text=True, timeout=300)
    if check and p.returncode != 0:
        raise AssertionError(f"uniops {' '.join(args)} failed ({p.returncode}): {p.stderr}")
    return p


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    @property
    def error(self):
        return (self.json or {}).get("error", {})

    def __repr__(self):
        return f"<{self.status} {self.body[:300]!r}>"


class Server:
    def __init__(self, demo=True, extra_env=None, args=None, db=None, demo_as_of=None):
        """db: share an existing database (another instance's) instead of a fresh one.
        demo_as_of: end the demo's three months at this RFC 3339 instant instead of now."""
        self.tmp = tempfile.TemporaryDirectory(prefix="uniops-test-")
        self.db = db or fresh_db_url(self.tmp.name)
        self.port = free_port()
        self.log_path = os.path.join(self.tmp.name, "server.log")
        if demo:
            run_cli(["demo"] + (["--as-of", demo_as_of] if demo_as_of else []), self.db, check=True)
        env = dict(os.environ, UNIOPS_TEST_CLOCK="1")
        env.update(extra_env or {})
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([BIN, "serve", "--listen", f"127.0.0.1:{self.port}", "--db", self.db]
                                     + (args or []), stderr=self.log, env=env, cwd=self.tmp.name)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if self.request("GET", "/healthz").status == 200:
                    break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError("server did not start: " + open(self.log_path).read())
        self.tokens = {}

    def request(self, method, path, body=None, token=None, headers=None, raw=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        h = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        if token:
            h["Authorization"] = "Bearer " + token
        conn.request(method, path, body=data, headers=h)
        r = conn.getresponse()
        resp = Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode("utf-8", "replace"))
        conn.close()
        return resp

    def login(self, username, password=DEMO_PASSWORD):
        """Logs in (cached per username) and returns the token."""
        if username not in self.tokens:
            r = self.request("POST", "/api/v1/sessions", {"username": username, "password": password})
            assert r.status == 201, r
            self.tokens[username] = r.json["token"]
        return self.tokens[username]

    def as_user(self, username, method, path, body=None, **kw):
        return self.request(method, path, body, token=self.login(username), **kw)

    def set_clock(self, offset_s):
        r = self.request("PUT", "/api/v1/test/clock", {"offset_s": offset_s})
        assert r.status == 200, r
        self.tokens = {}  # moving time may expire cached sessions

    def cli(self, args, stdin=None):
        return run_cli(args, self.db, stdin=stdin)

    # --- helpers for the API suite (additive) ---

    def try_login(self, username, password=DEMO_PASSWORD, headers=None):
        """POST /api/v1/sessions without caching; returns the Response."""
        return self.request("POST", "/api/v1/sessions", {"username": username, "password": password},
                            headers=headers)

    def forget(self, username=None):
        """Drops cached tokens (one user, or all) so the next as_user() logs in again."""
        if username is None:
            self.tokens.clear()
        else:
            self.tokens.pop(username, None)

    def user(self, username, as_user="sysadmin"):
        """The user record for username (looked up as sysadmin, inactive ones included)."""
        r = self.as_user(as_user, "GET", "/api/v1/users?active=all&username=" + username)
        assert r.status == 200, r
        assert len(r.json["items"]) == 1, r
        return r.json["items"][0]

    def create_user(self, username=None, org_id=4, roles=("requester",), password=None,
                    display_name=None, as_user="sysadmin", **extra):
        """Creates a user through the API; returns the created record."""
        body = {"username": username or uniq("u"), "display_name": display_name or "Test User",
                "org_id": org_id, "roles": list(roles), "password": password or STRONG_PASSWORD}
        body.update(extra)
        r = self.as_user(as_user, "POST", "/api/v1/users", body)
        assert r.status == 201, r
        return r.json

    def ready_user(self, username=None, org_id=4, roles=("requester",)):
        """Creates a user and makes the first-login password change. Returns (record, password);
        the user's token is cached for as_user()."""
        rec = self.create_user(username, org_id=org_id, roles=roles)
        r = self.try_login(rec["username"], STRONG_PASSWORD)
        assert r.status == 201, r
        token = r.json["token"]
        r = self.request("POST", "/api/v1/me/password",
                         {"current_password": STRONG_PASSWORD, "new_password": NEW_PASSWORD}, token=token)
        assert r.status == 204, r
        self.tokens[rec["username"]] = token
        return rec, NEW_PASSWORD

    def newest_audit(self):
        """The newest audit record (read as auditor), or None."""
        r = self.as_user("auditor", "GET", "/api/v1/audit?limit=1")
        assert r.status == 200, r
        return r.json["items"][0] if r.json["items"] else None

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode

    def close(self):
        self.stop()
        log = open(self.log_path).read()
        self.tmp.cleanup()
        # Under the AddressSanitizer build a leak or memory error fails the run.
        assert "Sanitizer" not in log and "runtime error" not in log, log[-4000:]

    def log_text(self):
        if not self.log.closed:
            self.log.flush()
        return open(self.log_path).read()
