/* cmd_migrate_data.c — `uniops migrate-data --from sqlite:… --to postgresql://…`:
 * copies a whole installation from the embedded database into an empty, migrated target
 * in one transaction, then verifies row counts and the audit chain on the target.
 *
 * Generic over the schema: tables come from the source's catalogue, ordered so that a
 * referenced table is copied before the tables that reference it; a column that
 * references its own table (orgs.parent_id) is filled in a second pass, since a row may
 * point at a later row. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "cli/cli.h"
#include "core/strbuf.h"

static const char help[] =
    "usage: uniops migrate-data --from sqlite:PATH --to URL\n"
    "\n"
    "Copies every table of a SQLite installation into an empty database (normally\n"
    "PostgreSQL: postgresql://user:pass@host:port/db), migrating the target first. The\n"
    "copy is one transaction: on any error nothing is left in the target. Afterwards the\n"
    "row counts of every table are compared and the audit chain is verified on the target.\n"
    "Stop `uniops serve` on the source first (or copy a backup): writes made during the\n"
    "copy would not be in it.\n";

#define MAX_TABLES 64
#define MAX_COLS 64

typedef struct table_info {
  char name[64];
  char cols[MAX_COLS][64];
  int ncols;
  int self_ref_col; /* index of a column referencing this table, or -1 */
  char deps[8][64];
  int ndeps;
  int done;
  int64_t rows;
} table_info;

static int is_ident(const char *s) {
  if (!*s || strlen(s) > 60) return 0;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_')) return 0;
  return 1;
}

static int load_tables(store_conn *src, table_info *t, int *n, err *e) {
  *n = 0;
  store_stmt *st = store_query(src, e,
                               "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                               " AND name <> 'schema_migrations' ORDER BY name",
                               NULL);
  if (!st) return -1;
  int rc;
  while ((rc = store_step(st, e)) == STORE_ROW) {
    if (*n == MAX_TABLES) return err_set(e, ERR_internal, NULL, "too many tables");
    const char *name = store_col_text(st, 0);
    if (!is_ident(name)) return err_set(e, ERR_internal, NULL, "unexpected table name '%s'", name);
    memset(&t[*n], 0, sizeof t[*n]);
    snprintf(t[*n].name, sizeof t[*n].name, "%s", name);
    t[*n].self_ref_col = -1;
    (*n)++;
  }
  store_finish(st);
  if (rc < 0) return -1;
  for (int i = 0; i < *n; i++) {
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT name FROM pragma_table_info('%s') ORDER BY cid", t[i].name);
    st = store_query(src, e, sql, NULL);
    if (!st) return -1;
    while ((rc = store_step(st, e)) == STORE_ROW && t[i].ncols < MAX_COLS)
      snprintf(t[i].cols[t[i].ncols++], 64, "%s", store_col_text(st, 0));
    store_finish(st);
    if (rc < 0) return -1;
    snprintf(sql, sizeof sql, "SELECT \"table\", \"from\" FROM pragma_foreign_key_list('%s')", t[i].name);
    st = store_query(src, e, sql, NULL);
    if (!st) return -1;
    while ((rc = store_step(st, e)) == STORE_ROW) {
      const char *ref = store_col_text(st, 0), *from = store_col_text(st, 1);
      if (strcmp(ref, t[i].name) == 0) {
        for (int c = 0; c < t[i].ncols; c++)
          if (strcmp(t[i].cols[c], from) == 0) t[i].self_ref_col = c;
      } else if (t[i].ndeps < 8) {
        snprintf(t[i].deps[t[i].ndeps++], 64, "%s", ref);
      }
    }
    store_finish(st);
    if (rc < 0) return -1;
  }
  return 0;
}

/* Orders tables so that every table comes after those it references. */
static int order_tables(table_info *t, int n, int *order, err *e) {
  int k = 0;
  while (k < n) {
    int progressed = 0;
    for (int i = 0; i < n; i++) {
      if (t[i].done) continue;
      int ready = 1;
      for (int d = 0; d < t[i].ndeps; d++)
        for (int j = 0; j < n; j++)
          if (strcmp(t[j].name, t[i].deps[d]) == 0 && !t[j].done) ready = 0;
      if (!ready) continue;
      t[i].done = 1;
      order[k++] = i;
      progressed = 1;
    }
    if (!progressed) return err_set(e, ERR_internal, NULL, "the foreign keys between tables form a cycle");
  }
  return 0;
}

static int copy_table(store_conn *src, store_conn *dst, table_info *t, err *e) {
  strbuf sel, ins, upd;
  sb_init(&sel);
  sb_init(&ins);
  sb_init(&upd);
  int rc = -1;
  sb_adds(&sel, "SELECT ");
  sb_addf(&ins, "INSERT INTO %s (", t->name);
  for (int c = 0; c < t->ncols; c++) {
    sb_addf(&sel, "%s%s", c ? ", " : "", t->cols[c]);
    sb_addf(&ins, "%s%s", c ? ", " : "", t->cols[c]);
  }
  sb_addf(&sel, " FROM %s ORDER BY rowid", t->name);
  sb_adds(&ins, ") VALUES (");
  for (int c = 0; c < t->ncols; c++) sb_adds(&ins, c ? ", ?" : "?");
  sb_adds(&ins, ")");
  if (t->self_ref_col >= 0) sb_addf(&upd, "UPDATE %s SET %s = ? WHERE id = ?", t->name, t->cols[t->self_ref_col]);
  /* seeded by the target's migrations: replaced by the source's rows */
  if (strcmp(t->name, "settings") == 0 || strcmp(t->name, "audit_head") == 0) {
    char del[96];
    snprintf(del, sizeof del, "DELETE FROM %s", t->name);
    if (store_run(dst, e, del, NULL) < 0) goto out;
  }
  int64_t *fix = NULL;
  size_t nfix = 0, capfix = 0;
  store_stmt *s = store_prepare(src, sel.buf, e);
  if (!s) goto out;
  int step;
  while ((step = store_step(s, e)) == STORE_ROW) {
    store_stmt *d = store_prepare(dst, ins.buf, e);
    if (!d) break;
    int64_t id = 0;
    for (int c = 0; c < t->ncols; c++) {
      store_coltype ty = store_col_type(s, c);
      if (strcmp(t->cols[c], "id") == 0) id = store_col_int64(s, c);
      if (c == t->self_ref_col && ty != SCOL_NULL) {
        if (nfix + 2 > capfix) {
          capfix = capfix ? capfix * 2 : 64;
          fix = xrealloc(fix, capfix * sizeof *fix);
        }
        fix[nfix++] = id;
        fix[nfix++] = store_col_int64(s, c);
        store_bind_null(d, c + 1);
      } else if (ty == SCOL_NULL) {
        store_bind_null(d, c + 1);
      } else if (ty == SCOL_INT) {
        store_bind_int64(d, c + 1, store_col_int64(s, c));
      } else {
        store_bind_text(d, c + 1, store_col_text(s, c));
      }
    }
    int ok = store_step(d, e) == STORE_DONE;
    store_finish(d);
    if (!ok) {
      step = -1;
      break;
    }
    t->rows++;
  }
  store_finish(s);
  if (step < 0) {
    free(fix);
    goto out;
  }
  for (size_t i = 0; i < nfix; i += 2) {
    if (store_run(dst, e, upd.buf, "ii", fix[i + 1], fix[i]) < 0) {
      free(fix);
      goto out;
    }
  }
  free(fix);
  /* identity columns must continue after the copied ids */
  if (store_conn_dialect(dst) == STORE_POSTGRES && strcmp(t->cols[0], "id") == 0) {
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT setval(pg_get_serial_sequence('%s', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM %s"
             " WHERE pg_get_serial_sequence('%s', 'id') IS NOT NULL",
             t->name, t->name, t->name);
    if (store_run(dst, e, sql, NULL) < 0) goto out;
  }
  rc = 0;
out:
  sb_release(&sel);
  sb_release(&ins);
  sb_release(&upd);
  return rc;
}

int cmd_migrate_data(int argc, char **argv) {
  cli_opt opts[] = {{"from", 1, NULL}, {"to", 1, NULL}};
  int npos = 0;
  const char *pos[1];
  int rc = cli_parse(argc, argv, opts, 2, pos, &npos);
  if (rc == 1) {
    fputs(help, stdout);
    return EXIT_OK;
  }
  const char *from = cli_get(opts, 2, "from"), *to = cli_get(opts, 2, "to");
  if (rc < 0 || !from || !to) {
    fputs(help, stderr);
    return EXIT_USAGE;
  }
  if (strncmp(from, "sqlite:", 7) != 0) {
    fprintf(stderr, "uniops: --from must be a sqlite: URL\n");
    return EXIT_USAGE;
  }
  if (strcmp(from, to) == 0) {
    fprintf(stderr, "uniops: --from and --to are the same database\n");
    return EXIT_USAGE;
  }
  int result = EXIT_FAIL;
  store *s = cli_open_store(from, 1), *d = NULL;
  if (!s) return EXIT_FAIL;
  d = cli_open_store(to, 1);
  if (!d) {
    store_close(s);
    return EXIT_FAIL;
  }
  err e;
  err_clear(&e);
  table_info *t = xcalloc(MAX_TABLES, sizeof *t);
  int n = 0, order[MAX_TABLES];
  store_conn *sc = store_acquire(s, &e), *dc = store_acquire(d, &e);
  if (!sc || !dc) goto fail;
  if (store_begin(sc, STORE_READ, &e) != 0) goto fail;
  if (load_tables(sc, t, &n, &e) != 0 || order_tables(t, n, order, &e) != 0) goto fail;
  if (store_begin(dc, STORE_WRITE, &e) != 0) goto fail;
  for (int i = 0; i < n; i++) {
    if (strcmp(t[i].name, "settings") == 0 || strcmp(t[i].name, "audit_head") == 0) continue;
    char sql[128];
    int64_t cnt = 0;
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s", t[i].name);
    if (store_query_int(dc, &e, &cnt, sql, NULL) < 0) goto fail;
    if (cnt) {
      err_set(&e, ERR_conflict, "to", "the target is not empty: %s has %" PRId64 " rows", t[i].name, cnt);
      goto fail;
    }
  }
  for (int k = 0; k < n; k++)
    if (copy_table(sc, dc, &t[order[k]], &e) != 0) {
      fprintf(stderr, "uniops: copying %s failed\n", t[order[k]].name);
      goto fail;
    }
  if (store_commit(dc, &e) != 0) goto fail;
  store_rollback(sc);
  /* verify: the same number of rows in every table, and an intact audit chain */
  for (int i = 0; i < n; i++) {
    char sql[128];
    int64_t cnt = -1, want = -1;
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s", t[i].name);
    if (store_query_int(dc, &e, &cnt, sql, NULL) < 0 || store_query_int(sc, &e, &want, sql, NULL) < 0) goto fail;
    printf("%-24s %10" PRId64 " rows%s\n", t[i].name, cnt, cnt == want ? "" : "  MISMATCH");
    if (cnt != want) {
      err_set(&e, ERR_internal, NULL, "row counts differ for %s: source %" PRId64 ", target %" PRId64, t[i].name, want,
              cnt);
      goto fail;
    }
  }
  store_release(s, sc);
  store_release(d, dc);
  sc = dc = NULL;
  int64_t count = 0, bad = 0;
  char why[256];
  if (audit_verify(d, &count, &bad, why, sizeof why, &e) != 0) {
    fprintf(stderr, "uniops: the audit trail does not verify on the target: %s\n", bad ? why : e.msg);
    goto done;
  }
  printf("copied %d tables; audit trail intact on the target: %" PRId64 " records\n", n, count);
  result = EXIT_OK;
  goto done;
fail:
  fprintf(stderr, "uniops: migrate-data failed: %s\n", e.msg);
done:
  if (sc) {
    store_rollback(sc);
    store_release(s, sc);
  }
  if (dc) {
    store_rollback(dc);
    store_release(d, dc);
  }
  free(t);
  store_close(s);
  store_close(d);
  return result;
}
