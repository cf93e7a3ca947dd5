"""The `uniops` command line: help, usage errors, org/user administration, demo, migrate,
version. Exit status: 0 ok, 1 failed, 2 usage error."""
import os
import re
import subprocess
from urllib.parse import quote

import pytest

from uniops_client import BIN, STRONG_PASSWORD, fresh_db_url, run_cli, uniq


@pytest.fixture
def sandbox(tmp_path):
    """Runs `uniops` in an empty directory with UNIOPS_DB pointing into it, so that a command
    that wrongly gets past option parsing cannot touch a real database."""
    env = dict(os.environ, UNIOPS_DB="sqlite:" + str(tmp_path / "sandbox.db"))

    def run(args, stdin=None):
        return subprocess.run([BIN] + args, input=stdin, capture_output=True, text=True, timeout=120,
                              cwd=tmp_path, env=env)
    return run


@pytest.fixture
def empty_db(tmp_path):
    return fresh_db_url(str(tmp_path))


def commands_from_usage(text):
    cmds, on = [], False
    for line in text.splitlines():
        if line.strip() == "commands:":
            on = True
            continue
        if on:
            if not line.startswith("  "):
                break
            cmds.append(line.split()[0])
    return cmds


# --- help and usage ------------------------------------------------------------------------

def test_main_help(sandbox):
    for flag in ("--help", "-h", "help"):
        p = sandbox([flag])
        assert p.returncode == 0, p.stderr
        assert p.stdout.startswith("usage: uniops")
        assert "Exit status" in p.stdout


def test_every_subcommand_has_help(sandbox, tmp_path):
    cmds = commands_from_usage(sandbox(["--help"]).stdout)
    assert {"serve", "migrate", "org", "user", "demo", "audit", "version"} <= set(cmds), cmds
    variants = [[c, "--help"] for c in cmds] + [[c, "-h"] for c in cmds] + [
        ["org", "add", "--help"], ["user", "add", "--help"], ["user", "passwd", "--help"], ["audit", "verify", "--help"]]
    for args in variants:
        p = sandbox(args)
        assert p.returncode == 0, (args, p.stderr)
        assert p.stdout.startswith("usage: uniops " + args[0]), (args, p.stdout)
        assert p.stderr == "", (args, p.stderr)
    assert not (tmp_path / "sandbox.db").exists(), "help must not open the database"


def test_no_command_and_unknown_command_exit_2(sandbox):
    p = sandbox([])
    assert p.returncode == 2
    assert "usage: uniops" in p.stderr and p.stdout == ""
    p = sandbox(["frobnicate"])
    assert p.returncode == 2
    assert "unknown command 'frobnicate'" in p.stderr
    p = sandbox(["--frobnicate"])
    assert p.returncode == 2


@pytest.mark.parametrize("args", [
    ["serve", "--bogus"], ["serve", "--threads", "0"], ["serve", "--threads", "257"], ["serve", "--max-connections", "15"], ["serve", "--threads", "x"],
    ["serve", "--max-body", "10"], ["serve", "--listen"], ["serve", "extra"],
    ["migrate", "--bogus"], ["migrate", "extra"],
    ["org"], ["org", "remove", "--name", "X", "--party", "customer"], ["org", "add"], ["org", "add", "--name", "Xyz"],
    ["org", "add", "--party", "customer"], ["org", "add", "--name", "Xyz", "--party", "customer", "--parent", "abc"],
    ["org", "add", "--name", "Xyz", "--party", "customer", "--parent", "0"],
    ["org", "add", "--name", "Xyz", "--party", "customer", "--colour", "red"],
    ["user"], ["user", "add"], ["user", "add", "bob"], ["user", "add", "bob", "--org", "4", "--password-stdin"],
    ["user", "add", "bob", "--role", "requester", "--password-stdin"],
    ["user", "add", "bob", "--org", "4", "--role", "requester"],
    ["user", "add", "bob", "--org", "x", "--role", "requester", "--password-stdin"],
    ["user", "add", "bob", "--org", "4", "--role", "wizard", "--password-stdin"],
    ["user", "add", "bob", "--org", "4", "--role", "requester,", "--password-stdin"],
    ["user", "add", "bob", "--org", "4", "--role", "requester", "--password-stdin=yes"],
    ["user", "passwd", "bob"], ["user", "passwd", "bob", "--password-stdin", "--org", "4"],
    ["user", "passwd", "--password-stdin"], ["user", "delete", "bob", "--password-stdin"],
    ["demo", "--bogus"], ["demo", "extra"],
    ["audit"], ["audit", "check"], ["audit", "verify", "extra"], ["audit", "verify", "--bogus"],
    ["version", "extra"], ["version", "--db", "sqlite:x.db"],
])
def test_bad_usage_exits_2(sandbox, tmp_path, args):
    p = sandbox(args, stdin=STRONG_PASSWORD + "\n")
    assert p.returncode == 2, (args, p.returncode, p.stdout, p.stderr)
    assert p.stderr.strip(), "a usage error says what is wrong"
    assert not (tmp_path / "sandbox.db").exists(), "a usage error must not open the database"


def test_unreachable_database_exits_1(sandbox):
    p = sandbox(["migrate", "--db", "postgresql://nobody@127.0.0.1:1/nothing?connect_timeout=2"])
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert "uniops:" in p.stderr
    p = sandbox(["audit", "verify", "--db", "mysql://x"])
    assert p.returncode == 1, (p.stdout, p.stderr)


# --- version -------------------------------------------------------------------------------

def test_version(sandbox):
    for args in (["version"], ["--version"]):
        p = sandbox(args)
        assert p.returncode == 0
        assert re.match(r"^uniops \d+\.\d+\.\d+\S* \(schema \d+\)\n$", p.stdout), p.stdout


def test_version_schema_matches_migrate(sandbox, empty_db):
    schema = int(re.search(r"schema (\d+)", sandbox(["version"]).stdout).group(1))
    p = run_cli(["migrate"], empty_db)
    assert p.returncode == 0, p.stderr
    assert f"schema version {schema}" in p.stdout


# --- migrate and demo ----------------------------------------------------------------------

def test_migrate_is_idempotent(empty_db):
    p1 = run_cli(["migrate"], empty_db)
    assert p1.returncode == 0, p1.stderr
    n = int(re.search(r"migrations applied: (\d+)", p1.stdout).group(1))
    assert n >= 1
    p2 = run_cli(["migrate"], empty_db)
    assert p2.returncode == 0, p2.stderr
    assert "migrations applied: 0" in p2.stdout
    # the database is usable afterwards, and an empty trail verifies
    p = run_cli(["audit", "verify"], empty_db)
    assert p.returncode == 0 and "intact: 0 records" in p.stdout, (p.stdout, p.stderr)
    assert run_cli(["demo"], empty_db).returncode == 0
    assert "migrations applied: 0" in run_cli(["migrate"], empty_db).stdout


def test_demo_twice_fails_but_if_empty_succeeds(empty_db):
    p = run_cli(["demo"], empty_db)
    assert p.returncode == 0, p.stderr
    assert "demo loaded" in p.stdout
    p = run_cli(["demo"], empty_db)
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert "already" in p.stderr
    p = run_cli(["demo", "--if-empty"], empty_db)
    assert p.returncode == 0, p.stderr
    assert "nothing loaded" in p.stdout
    # the demo is audited and the trail is intact
    p = run_cli(["audit", "verify"], empty_db)
    assert p.returncode == 0, p.stderr


def test_demo_if_empty_loads_into_empty_db(empty_db):
    p = run_cli(["demo", "--if-empty"], empty_db)
    assert p.returncode == 0, p.stderr
    assert "demo loaded" in p.stdout


# --- org add -------------------------------------------------------------------------------

def test_org_add(server):
    name = uniq("CLI 单位 ")
    p = server.cli(["org", "add", "--name", name, "--party", "customer", "--parent", "2"])
    assert p.returncode == 0, p.stderr
    assert re.match(r"^\d+\n$", p.stdout), p.stdout
    oid = int(p.stdout)
    r = server.as_user("sysadmin", "GET", f"/api/v1/orgs/{oid}")
    assert r.status == 200, r
    assert r.json["name"] == name and r.json["party"] == "customer" and r.json["parent_id"] == 2
    assert oid in {o["id"] for o in server.as_user("sysadmin", "GET", "/api/v1/orgs?parent_id=2").json["items"]}
    # audited as an operator action
    a = server.as_user("auditor", "GET", f"/api/v1/audit?resource=org&resource_id={oid}").json["items"]
    assert len(a) == 1 and a[0]["action"] == "create" and a[0]["actor_name"].startswith("cli:")
    assert a[0]["actor_id"] is None
    # --name=VALUE form works as well
    p = server.cli(["org", "add", f"--name={uniq('CLI Svc ')}", "--party=service"])
    assert p.returncode == 0, p.stderr


@pytest.mark.parametrize("args", [
    ["--name", "UNIQ", "--party", "government"],
    ["--name", "UNIQ", "--party", "customer", "--parent", "16"],        # parent of another party
    ["--name", "UNIQ", "--party", "customer", "--parent", "999999"],
    ["--name", " ", "--party", "customer"],
    ["--name", "市教育局", "--party", "customer"],                      # duplicate name
])
def test_org_add_rejected_exits_1(server, args):
    args = [uniq("CLI ") if a == "UNIQ" else a for a in args]
    name = args[args.index("--name") + 1]

    def same_name():
        r = server.as_user("sysadmin", "GET", "/api/v1/orgs?active=all&limit=200&q=" + quote(name))
        return [o for o in r.json["items"] if o["name"] == name]
    before = same_name()
    p = server.cli(["org", "add"] + args)
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert p.stdout == ""
    assert p.stderr.startswith("uniops:")
    assert same_name() == before


# --- user add / passwd ---------------------------------------------------------------------

def test_user_add_must_change_password(server):
    name = uniq("cli.user")
    p = server.cli(["user", "add", name, "--org", "4", "--role", "requester", "--name", "命令行 用户",
                    "--password-stdin"], stdin=STRONG_PASSWORD + "\n")
    assert p.returncode == 0, p.stderr
    uid = int(p.stdout)
    u = server.as_user("sysadmin", "GET", f"/api/v1/users/{uid}").json
    assert u["username"] == name and u["display_name"] == "命令行 用户" and u["org_id"] == 4
    assert u["roles"] == ["requester"] and u["must_change_password"] is True
    r = server.try_login(name, STRONG_PASSWORD)
    assert r.status == 201 and r.json["must_change_password"] is True
    token = r.json["token"]
    r = server.request("GET", "/api/v1/orgs", token=token)
    assert r.status == 403 and r.error["code"] == "password_change_required"
    r = server.request("POST", "/api/v1/me/password", {"current_password": STRONG_PASSWORD,
                                                       "new_password": "Cli#Changed1"}, token=token)
    assert r.status == 204
    assert server.request("GET", "/api/v1/orgs", token=token).status == 200


def test_user_add_several_roles_and_admin_bootstrap(server):
    name = uniq("cli.multi")
    p = server.cli(["user", "add", name, "--org", "16", "--role", "engineer,service_desk", "--password-stdin"],
                   stdin=STRONG_PASSWORD + "\n")
    assert p.returncode == 0, p.stderr
    assert sorted(server.user(name)["roles"]) == ["engineer", "service_desk"]
    # the CLI may create an administrator (bootstrapping), but still only one of the three
    p = server.cli(["user", "add", uniq("cli.sec"), "--org", "1", "--role", "secadmin", "--password-stdin"],
                   stdin=STRONG_PASSWORD + "\n")
    assert p.returncode == 0, p.stderr
    p = server.cli(["user", "add", uniq("cli.two"), "--org", "1", "--role", "sysadmin,auditor", "--password-stdin"],
                   stdin=STRONG_PASSWORD + "\n")
    assert p.returncode == 1, (p.stdout, p.stderr)


@pytest.mark.parametrize("org,role,stdin", [
    ("4", "requester", "weak\n"),
    ("4", "requester", "alllowercase1\n"),
    ("4", "requester", "Short1!\n"),
    ("4", "requester", ""),                       # nothing on stdin
    ("4", "requester", "\n"),                     # an empty line
    ("4", "engineer", STRONG_PASSWORD + "\n"),    # role of another party
    ("999999", "requester", STRONG_PASSWORD + "\n"),
])
def test_user_add_rejected_exits_1(server, org, role, stdin):
    name = uniq("cli.bad")
    p = server.cli(["user", "add", name, "--org", org, "--role", role, "--password-stdin"], stdin=stdin)
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert p.stdout == "" and p.stderr.startswith("uniops:")
    assert server.as_user("sysadmin", "GET", "/api/v1/users?active=all&username=" + name).json["items"] == []


def test_user_add_duplicate_and_bad_username(server):
    p = server.cli(["user", "add", "edu.zhang", "--org", "4", "--role", "requester", "--password-stdin"],
                   stdin=STRONG_PASSWORD + "\n")
    assert p.returncode == 1
    p = server.cli(["user", "add", ".bad", "--org", "4", "--role", "requester", "--password-stdin"],
                   stdin=STRONG_PASSWORD + "\n")
    assert p.returncode == 1


def test_user_passwd(server):
    rec, pw = server.ready_user()
    name, uid = rec["username"], rec["id"]
    old_token = server.tokens[name]
    # lock the account first: passwd also unlocks it
    for _ in range(5):
        server.try_login(name, "Wrong#Passw0rd")
    assert server.try_login(name, pw).status == 423
    p = server.cli(["user", "passwd", name, "--password-stdin"], stdin="Cli#Reset2026\n")
    assert p.returncode == 0, p.stderr
    # sessions ended, old password gone, new one works and must be changed
    assert server.request("GET", "/api/v1/me", token=old_token).status == 401
    server.forget(name)
    assert server.try_login(name, pw).status == 401
    r = server.try_login(name, "Cli#Reset2026")
    assert r.status == 201, r
    assert r.json["must_change_password"] is True
    a = server.as_user("auditor", "GET", f"/api/v1/audit?resource=user&resource_id={uid}&action=reset_password").json
    assert a["items"] and a["items"][0]["actor_name"].startswith("cli:")
    assert "Cli#Reset2026" not in str(a)


def test_user_passwd_failures(server):
    p = server.cli(["user", "passwd", uniq("nobody"), "--password-stdin"], stdin="Cli#Reset2026\n")
    assert p.returncode == 1 and "uniops:" in p.stderr
    rec = server.create_user()
    p = server.cli(["user", "passwd", rec["username"], "--password-stdin"], stdin="weakpass\n")
    assert p.returncode == 1
    assert server.try_login(rec["username"], STRONG_PASSWORD).status == 201


def test_cli_changes_keep_the_trail_intact(server):
    server.cli(["org", "add", "--name", uniq("CLI Chain "), "--party", "supervision"])
    r = server.as_user("auditor", "GET", "/api/v1/audit/verify")
    assert r.status == 200 and r.json["ok"] is True
    p = server.cli(["audit", "verify"])
    assert p.returncode == 0, p.stderr
    assert re.match(r"^audit trail intact: \d+ records\n$", p.stdout)
