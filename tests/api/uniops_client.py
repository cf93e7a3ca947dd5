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
    def __init__(self, demo=True, extra_env=None, args=None):
        self.tmp = tempfile.TemporaryDirectory(prefix="uniops-test-")
        self.db = fresh_db_url(self.tmp.name)
        self.port = free_port()
        self.log_path = os.path.join(self.tmp.name, "server.log")
        if demo:
            run_cli(["demo"], self.db, check=True)
        env = dict(os.environ, UNIOPS_TEST_CLOCK="1")
        env.update(extra_env or {})
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([BIN, "serve", "--listen", f"127.0.0.1:{self.port}", "--db", self.db]
                                     + (args or []), stderr=self.log, env=env)
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

    def cli(self, args, stdin=None):
        return run_cli(args, self.db, stdin=stdin)

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
        self.log.flush()
        return open(self.log_path).read()
