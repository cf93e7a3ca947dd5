#!/usr/bin/python3
"""schema_in_step.py — do the SQLite and PostgreSQL migrations build the same schema?

    /usr/bin/python3 tests/store/schema_in_step.py

Each migration is written twice (NNNN_name.sqlite.sql and NNNN_name.pg.sql); nothing but
this check stops the two from drifting apart. It migrates a fresh SQLite file and a fresh
PostgreSQL database, reads both catalogs back and compares, table by table:
  - the columns (names, normalised types, nullability, defaults) and the primary key,
  - the named indexes (columns, uniqueness, partial or not) and unnamed UNIQUE constraints,
  - the CHECK constraints (how many) and the foreign keys (columns, target, ON DELETE).
schema_migrations and SQLite's internal tables are left out. Exits 1 with one line per
difference, 0 when the schemas are in step.

PostgreSQL: the server of $UNIOPS_TEST_PG (a scratch database is created in it and dropped
afterwards); without it the script re-runs itself under scripts/with-postgres.sh.
Migrating uses build/uniops when it is newer than every migration, else the store test
program (scripts/test-store.sh build).
"""
import glob
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def migrator():
    """The command that migrates a database given by URL (a list to append the URL to)."""
    uniops = os.path.join(ROOT, "build", "uniops")
    newest = max(os.path.getmtime(f) for f in glob.glob(os.path.join(ROOT, "src/store/migrations/*.sql")))
    if os.access(uniops, os.X_OK) and os.path.getmtime(uniops) >= newest:
        return lambda url: [uniops, "migrate", "--db", url]
    subprocess.run([os.path.join(ROOT, "scripts", "test-store.sh"), "build"], check=True, cwd=ROOT)
    prog = os.path.join(ROOT, "build", "store-tests", "test_store_backends")
    return lambda url: [prog, url, "--migrate"]


def migrate(cmd, url):
    r = subprocess.run(cmd(url), capture_output=True, text=True, cwd=ROOT)
    if r.returncode != 0:
        sys.exit(f"migrating {url} failed ({' '.join(cmd(url)[:2])}):\n{r.stdout}{r.stderr}")


# ---- normalisation: the two dialects spell the same thing differently ----

def norm_type(t):
    t = (t or "").upper()
    if "INT" in t:
        return "integer"
    if any(k in t for k in ("CHAR", "CLOB", "TEXT")):
        return "text"
    if any(k in t for k in ("REAL", "FLOA", "DOUB")):
        return "real"
    if "BOOL" in t:
        return "boolean"
    if "NUMERIC" in t or "DECIMAL" in t:
        return "numeric"
    if "BYTEA" in t or "BLOB" in t or t == "":
        return "blob"
    return t.lower()


def norm_default(d):
    if d is None:
        return None
    d = d.strip()
    while d.startswith("(") and d.endswith(")"):
        d = d[1:-1].strip()
    d = re.sub(r"::[a-z ]+(\[\])?$", "", d)  # 'x'::text, 0::bigint
    while d.startswith("(") and d.endswith(")"):
        d = d[1:-1].strip()
    return d


def count_checks(create_sql):
    """CHECK keywords in a CREATE TABLE, outside string literals and comments."""
    s = re.sub(r"'(?:[^']|'')*'", "''", create_sql)
    s = re.sub(r'"(?:[^"]|"")*"', '""', s)
    s = re.sub(r"--[^\n]*", "", s)
    s = re.sub(r"/\*.*?\*/", "", s, flags=re.S)
    return len(re.findall(r"\bCHECK\b", s, flags=re.I))


PG_ACTIONS = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


# ---- reading the catalogs into one shape: {table: {...}} ----

def sqlite_schema(path):
    db = sqlite3.connect(path)
    schema = {}
    tables = db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " AND name <> 'schema_migrations' ORDER BY name").fetchall()
    for table, sql in tables:
        cols, pk = {}, []
        for _cid, name, typ, notnull, dflt, pkpos in db.execute(f'PRAGMA table_info("{table}")'):
            # a PRIMARY KEY column is NOT NULL in PostgreSQL; SQLite's NULL-in-PK quirk is never used
            cols[name] = (norm_type(typ), bool(notnull or pkpos), norm_default(dflt))
            if pkpos:
                pk.append((pkpos, name))
        indexes, uniques = {}, set()
        for _seq, iname, unique, origin, partial in db.execute(f'PRAGMA index_list("{table}")'):
            icols = tuple(r[2] if r[2] is not None else "<expr>"
                          for r in db.execute(f'PRAGMA index_info("{iname}")'))
            if origin == "c":
                indexes[iname] = (icols, bool(unique), bool(partial))
            elif origin == "u":
                uniques.add(icols)
        fks = {}
        for fid, _seq, ref, frm, to, _upd, on_delete, _match in db.execute(f'PRAGMA foreign_key_list("{table}")'):
            f = fks.setdefault(fid, {"from": [], "ref": ref, "to": [], "on_delete": on_delete})
            f["from"].append(frm)
            f["to"].append(to)
        fkset = set()
        for f in fks.values():
            to = f["to"]
            if all(t is None for t in to):  # REFERENCES t without columns: its primary key
                to = [r[1] for r in sorted((r[5], r[1]) for r in db.execute(f'PRAGMA table_info("{f["ref"]}")')
                                           if r[5])]
            fkset.add((tuple(f["from"]), f["ref"], tuple(to), f["on_delete"]))
        schema[table] = {"columns": cols, "pk": tuple(n for _, n in sorted(pk)), "indexes": indexes,
                         "uniques": uniques, "checks": count_checks(sql), "fks": fkset}
    db.close()
    return schema


def psql(url, sql):
    r = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"psql failed: {r.stderr.strip()}")
    return r.stdout


def pg_json(url, query):
    return json.loads(psql(url, f"SELECT coalesce(json_agg(row_to_json(q)), '[]') FROM ({query}) q"))


PG_COLUMNS = """
SELECT table_name AS t, column_name AS c, data_type AS type, is_nullable = 'NO' AS notnull,
       column_default AS dflt
FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"""

PG_CONSTRAINTS = """
SELECT cl.relname AS t, c.conname AS name, c.contype AS type,
       (SELECT json_agg(a.attname ORDER BY k.ord) FROM unnest(c.conkey) WITH ORDINALITY k(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum) AS cols,
       rcl.relname AS ref,
       (SELECT json_agg(a.attname ORDER BY k.ord) FROM unnest(c.confkey) WITH ORDINALITY k(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum) AS refcols,
       c.confdeltype AS on_delete
FROM pg_constraint c JOIN pg_class cl ON cl.oid = c.conrelid
JOIN pg_namespace n ON n.oid = cl.relnamespace LEFT JOIN pg_class rcl ON rcl.oid = c.confrelid
WHERE n.nspname = 'public'"""

PG_INDEXES = """
SELECT t.relname AS t, i.relname AS name, ix.indisunique AS uniq, ix.indpred IS NOT NULL AS partial,
       (SELECT json_agg(pg_get_indexdef(ix.indexrelid, k, true) ORDER BY k)
          FROM generate_series(1, ix.indnkeyatts) k) AS cols,
       EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid
               AND c.contype IN ('p', 'u', 'x')) AS backs_constraint
FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = 'public'"""


def pg_schema(url):
    schema = {}

    def table(t):
        return schema.setdefault(t, {"columns": {}, "pk": (), "indexes": {}, "uniques": set(),
                                     "checks": 0, "fks": set()})

    for r in pg_json(url, PG_COLUMNS):
        table(r["t"])["columns"][r["c"]] = (norm_type(r["type"]), r["notnull"], norm_default(r["dflt"]))
    for r in pg_json(url, PG_CONSTRAINTS):
        t = table(r["t"])
        if r["type"] == "p":
            t["pk"] = tuple(r["cols"])
        elif r["type"] == "u":
            t["uniques"].add(tuple(r["cols"]))
        elif r["type"] == "c":
            t["checks"] += 1
        elif r["type"] == "f":
            t["fks"].add((tuple(r["cols"]), r["ref"], tuple(r["refcols"]), PG_ACTIONS[r["on_delete"]]))
    for r in pg_json(url, PG_INDEXES):
        if not r["backs_constraint"]:
            cols = tuple(c.strip('"') if re.fullmatch(r'"?\w+"?', c) else "<expr>" for c in r["cols"])
            table(r["t"])["indexes"][r["name"]] = (cols, r["uniq"], r["partial"])
    schema.pop("schema_migrations", None)
    return schema


# ---- comparing ----

def describe_col(c):
    typ, notnull, dflt = c
    return f"{typ}{' NOT NULL' if notnull else ''}{f' DEFAULT {dflt}' if dflt is not None else ''}"


def describe_index(i):
    cols, uniq, partial = i
    return f"{'UNIQUE ' if uniq else ''}({', '.join(cols)}){' partial' if partial else ''}"


def describe_fk(f):
    frm, ref, to, on_delete = f
    return f"({', '.join(frm)}) -> {ref}({', '.join(to)}) ON DELETE {on_delete}"


def compare(sq, pg):
    diffs = []
    for t in sorted(set(sq) - set(pg)):
        diffs.append(f"table {t}: only in SQLite")
    for t in sorted(set(pg) - set(sq)):
        diffs.append(f"table {t}: only in PostgreSQL")
    for t in sorted(set(sq) & set(pg)):
        a, b = sq[t], pg[t]
        for c in sorted(set(a["columns"]) | set(b["columns"])):
            ca, cb = a["columns"].get(c), b["columns"].get(c)
            if ca is None:
                diffs.append(f"table {t}: column {c} only in PostgreSQL ({describe_col(cb)})")
            elif cb is None:
                diffs.append(f"table {t}: column {c} only in SQLite ({describe_col(ca)})")
            elif ca != cb:
                diffs.append(f"table {t}: column {c}: SQLite {describe_col(ca)} / PostgreSQL {describe_col(cb)}")
        if a["pk"] != b["pk"]:
            diffs.append(f"table {t}: primary key: SQLite ({', '.join(a['pk'])}) / PostgreSQL ({', '.join(b['pk'])})")
        for i in sorted(set(a["indexes"]) | set(b["indexes"])):
            ia, ib = a["indexes"].get(i), b["indexes"].get(i)
            if ia is None:
                diffs.append(f"table {t}: index {i} only in PostgreSQL {describe_index(ib)}")
            elif ib is None:
                diffs.append(f"table {t}: index {i} only in SQLite {describe_index(ia)}")
            elif ia != ib:
                diffs.append(f"table {t}: index {i}: SQLite {describe_index(ia)} / PostgreSQL {describe_index(ib)}")
        for u in sorted(a["uniques"] - b["uniques"]):
            diffs.append(f"table {t}: UNIQUE ({', '.join(u)}) constraint only in SQLite")
        for u in sorted(b["uniques"] - a["uniques"]):
            diffs.append(f"table {t}: UNIQUE ({', '.join(u)}) constraint only in PostgreSQL")
        if a["checks"] != b["checks"]:
            diffs.append(f"table {t}: CHECK constraints: SQLite {a['checks']} / PostgreSQL {b['checks']}")
        for f in sorted(a["fks"] - b["fks"]):
            diffs.append(f"table {t}: foreign key {describe_fk(f)} only in SQLite")
        for f in sorted(b["fks"] - a["fks"]):
            diffs.append(f"table {t}: foreign key {describe_fk(f)} only in PostgreSQL")
    return diffs


def with_database(url, db):
    u = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((u.scheme, u.netloc, "/" + db, u.query, u.fragment))


def main():
    base = os.environ.get("UNIOPS_TEST_PG")
    if not base:
        os.execv(os.path.join(ROOT, "scripts", "with-postgres.sh"),
                 ["with-postgres.sh", "/usr/bin/python3", os.path.abspath(__file__)] + sys.argv[1:])
    cmd = migrator()
    scratch = f"schema_in_step_{os.getpid()}"
    psql(base, f'CREATE DATABASE "{scratch}"')
    try:
        pg_url = with_database(base, scratch)
        migrate(cmd, pg_url)
        pg = pg_schema(pg_url)
        with tempfile.TemporaryDirectory(prefix="uniops-schema.") as tmp:
            path = os.path.join(tmp, "schema.db")
            migrate(cmd, "sqlite:" + path)
            sq = sqlite_schema(path)
    finally:
        psql(base, f'DROP DATABASE IF EXISTS "{scratch}"')
    diffs = compare(sq, pg)
    if diffs:
        print(f"schema_in_step: SQLite and PostgreSQL migrations differ ({len(diffs)}):")
        for d in diffs:
            print("  " + d)
        return 1
    print(f"schema_in_step: ok — {len(sq)} tables identical on SQLite and PostgreSQL")
    return 0


if __name__ == "__main__":
    sys.exit(main())
