/* postgres.c — the PostgreSQL backend of store.h, on libpq.
 *
 * Statements: the portable `?` placeholders are rewritten to $1..$n once, at prepare time,
 * and the statement is prepared server-side under a per-connection name ("s<counter>").
 * Parameters travel as text with no declared type, so the server infers each one from its
 * context (hence store.h's rule against `? IS NULL`); results come back as text too and
 * are converted on read. A result is fetched whole by the first step, then iterated.
 *
 * Lost connections: conn_check (called by store.c on acquire and before BEGIN) notices a
 * dead socket without a round trip and PQreset()s it. A reset drops every server-side
 * prepared statement, so each connection counts its resets ("generation") and a statement
 * prepared in an older generation is transparently prepared again before it runs.
 * Queries in flight when the server dies fail at once (EOF on the socket) or, when the
 * network silently drops, within the keepalive / tcp_user_timeout bounds set at connect.
 *
 * Error text never carries the password: libpq echoes parts of a malformed URI in its
 * messages, so every client-side message is scrubbed of the URL's password first.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/strbuf.h"
#include "store/store_backend.h"

/* PostgreSQL type OIDs (src/include/catalog/pg_type.dat); stable across versions. */
enum {
  OID_BOOL = 16,
  OID_INT8 = 20,
  OID_INT2 = 21,
  OID_INT4 = 23,
  OID_OID = 26,
  OID_FLOAT4 = 700,
  OID_FLOAT8 = 701,
  OID_NUMERIC = 1700,
};

typedef struct {
  PGconn *pg;
  char *secret[2];      /* the URL's password, raw and percent-decoded, for scrubbing */
  unsigned next_name;   /* for unique statement names on this connection */
  unsigned generation;  /* bumped by every successful reset */
  strbuf dealloc;       /* "DEALLOCATE sN;…" of freed statements, sent when idle */
} pg_conn;

typedef struct {
  pg_conn *c;
  char *sql;            /* with $n placeholders */
  char name[16];
  unsigned generation;  /* the connection generation the name was prepared in */
  int nparams;
  char **params;        /* heap copies; NULL is SQL NULL */
  int bad_bind;         /* an index out of range was bound: fail at step */
  PGresult *res;
  PGresult *desc;       /* column description, when asked before the first step */
  int row;              /* current row of res */
  int ran;              /* res belongs to the current execution */
  int64_t changes;
} pg_stmt;

/* ---- messages ---- */

static int hexval(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

static char *pct_decode(const char *s, size_t n) {
  char *out = xmalloc(n + 1);
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
      out[o++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
      i += 2;
    } else {
      out[o++] = s[i];
    }
  }
  out[o] = '\0';
  return out;
}

/* Finds the password of a postgresql:// URL (user:PASS@ or ?password=PASS) without
 * parsing the rest; *n is its length. NULL when there is none. */
static const char *url_password(const char *url, size_t *n) {
  const char *p = strstr(url, "://");
  if (!p) return NULL;
  p += 3;
  size_t auth = strcspn(p, "/?#");
  const char *at = NULL;
  for (size_t i = 0; i < auth; i++)
    if (p[i] == '@') at = p + i;
  if (at) {
    const char *colon = memchr(p, ':', (size_t)(at - p));
    if (colon && at > colon + 1) {
      *n = (size_t)(at - colon - 1);
      return colon + 1;
    }
  }
  const char *q = strchr(p, '?');
  while (q) {
    q++;
    if (strncmp(q, "password=", 9) == 0) {
      *n = strcspn(q + 9, "&#");
      return *n ? q + 9 : NULL;
    }
    q = strchr(q, '&');
  }
  return NULL;
}

/* Copies a libpq message into out: newlines folded to "; ", trailing space dropped and
 * every occurrence of the connection's password replaced by ***. */
static void clean_msg(char *out, size_t cap, const char *msg, char *const secret[2]) {
  strbuf sb;
  sb_init(&sb);
  for (const char *p = msg ? msg : "unknown error"; *p;) {
    int hit = 0;
    for (int i = 0; i < 2 && !hit; i++) {
      size_t n = secret[i] ? strlen(secret[i]) : 0;
      if (n && strncmp(p, secret[i], n) == 0) {
        sb_adds(&sb, "***");
        p += n;
        hit = 1;
      }
    }
    if (hit) continue;
    if (*p == '\n') {
      while (p[1] == '\t' || p[1] == ' ') p++; /* libpq indents its hint lines */
      if (p[1]) sb_adds(&sb, "; ");
    } else {
      sb_addc(&sb, *p);
    }
    p++;
  }
  while (sb.len && (sb.buf[sb.len - 1] == ' ' || sb.buf[sb.len - 1] == ';')) sb.buf[--sb.len] = '\0';
  snprintf(out, cap, "%s", sb.buf);
  sb_release(&sb);
}

/* Fills e from a failed result (res may be NULL: then the connection's message).
 * SQLSTATE decides the code, as in Zabbix's central classification. */
static int map_error(pg_conn *c, const PGresult *res, err *e) {
  const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
  const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
  char msg[200];
  clean_msg(msg, sizeof msg, primary ? primary : PQerrorMessage(c->pg), c->secret);
  if (!state) state = "";
  if (PQstatus(c->pg) == CONNECTION_BAD || strncmp(state, "08", 2) == 0)
    return err_set(e, ERR_unavailable, NULL, "database connection lost (%s)", msg);
  if (strcmp(state, "23505") == 0)
    return err_set(e, ERR_conflict, NULL, "a record with the same key already exists (%s)", msg);
  if (strcmp(state, "23503") == 0)
    return err_set(e, ERR_validation_failed, NULL, "a reference between records would break (%s)", msg);
  if (strcmp(state, "23502") == 0 || strcmp(state, "23514") == 0 || strncmp(state, "22", 2) == 0)
    return err_set(e, ERR_validation_failed, NULL, "a value breaks a rule of the schema (%s)", msg);
  if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 || strcmp(state, "55P03") == 0 ||
      strcmp(state, "57014") == 0 || strncmp(state, "57P", 3) == 0)
    return err_set(e, ERR_unavailable, NULL, "database is busy (%s)", msg);
  return err_set(e, ERR_internal, NULL, "postgres: %s%s%s", msg, *state ? " — SQLSTATE " : "", state);
}

/* Runs one parameterless command; 0 when it succeeded. */
static int run_cmd(pg_conn *c, const char *sql, err *e) {
  PGresult *r = PQexec(c->pg, sql);
  ExecStatusType st = PQresultStatus(r);
  int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY ? 0 : map_error(c, r, e);
  PQclear(r);
  return rc;
}

/* ---- connections ---- */

/* Server WARNINGs go to our log; NOTICEs ("relation already exists, skipping") are noise.
 * Without a receiver libpq would print them all on stderr, breaking the JSON log lines. */
static void notice_receiver(void *arg, const PGresult *res) {
  const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
  if (!sev || strcmp(sev, "WARNING") != 0) return;
  char msg[400];
  log_json_escape(PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY), msg, sizeof msg);
  log_warn("postgres warning", "\"detail\":\"%s\"", msg);
}

/* Settings that a reset would lose (they are not connection parameters). lock_timeout
 * matches SQLite's 10 s busy timeout: a writer that waits longer gets ERR_unavailable
 * (55P03) instead of piling up requests behind a stuck transaction. */
static int session_setup(pg_conn *c, err *e) {
  return run_cmd(c, "SET TIME ZONE 'UTC'; SET lock_timeout = '10s'", e);
}

static void pg_close(void *h) {
  pg_conn *c = h;
  if (!c) return;
  PQfinish(c->pg);
  free(c->secret[0]);
  free(c->secret[1]);
  sb_release(&c->dealloc);
  free(c);
}

/* Connection parameters we default; env names the PG* variable that overrides it. The
 * timeouts bound how long a dead server or network can stall a request: a dead peer is
 * noticed within ~25 s when idle (keepalives) and 10 s with unacknowledged data. */
static const struct conn_default {
  const char *key, *env, *value;
} conn_defaults[] = {
    {"connect_timeout", "PGCONNECT_TIMEOUT", "5"},
    {"application_name", "PGAPPNAME", "uniops"},
    {"keepalives", NULL, "1"},
    {"keepalives_idle", NULL, "10"},
    {"keepalives_interval", NULL, "5"},
    {"keepalives_count", NULL, "3"},
    {"tcp_user_timeout", NULL, "10000"},
    {NULL, NULL, NULL},
};

static void *pg_open(const char *url, err *e) {
  pg_conn *c = xcalloc(1, sizeof *c);
  sb_init(&c->dealloc);
  size_t n = 0;
  const char *pw = url_password(url, &n);
  if (pw) {
    c->secret[0] = xmalloc(n + 1);
    memcpy(c->secret[0], pw, n);
    c->secret[0][n] = '\0';
    c->secret[1] = pct_decode(pw, n);
  }
  /* Defaults come before dbname so that the URL (expanded in place) overrides them; an
   * environment variable for the same setting wins over our default too. client_encoding
   * comes after: the backend converts nothing, it needs UTF-8. */
  const char *kw[12], *val[12];
  int k = 0;
  for (const struct conn_default *d = conn_defaults; d->key; d++) {
    if (d->env && getenv(d->env)) continue;
    kw[k] = d->key;
    val[k++] = d->value;
  }
  /* "postgresql:" alone: everything from the PG* environment variables */
  kw[k] = "dbname";
  val[k++] = strcmp(url, "postgresql:") == 0 ? "" : url;
  kw[k] = "client_encoding";
  val[k++] = "UTF8";
  kw[k] = NULL;
  val[k] = NULL;
  c->pg = PQconnectdbParams(kw, val, 1);
  if (!c->pg) {
    err_set(e, ERR_unavailable, "db", "cannot connect to PostgreSQL: out of memory");
    goto fail;
  }
  if (PQstatus(c->pg) != CONNECTION_OK) {
    char msg[200];
    clean_msg(msg, sizeof msg, PQerrorMessage(c->pg), c->secret);
    err_set(e, ERR_unavailable, "db", "cannot connect to PostgreSQL: %s", msg);
    goto fail;
  }
  PQsetNoticeReceiver(c->pg, notice_receiver, NULL);
  if (session_setup(c, e) != 0) {
    if (e) e->code = ERR_unavailable;
    goto fail;
  }
  return c;
fail:
  pg_close(c);
  return NULL;
}

/* Reads whatever the server sent while the connection sat idle in the pool, e.g. the FATAL
 * "terminating connection" and the EOF of a restarted server, so that libpq marks the
 * link bad now rather than failing the next request. poll() first: in the common case
 * nothing arrived and this costs one system call and no round trip. */
static void absorb_idle_input(pg_conn *c) {
  for (int i = 0; i < 4 && PQstatus(c->pg) == CONNECTION_OK; i++) {
    struct pollfd pfd = {.fd = PQsocket(c->pg), .events = POLLIN};
    if (pfd.fd < 0 || poll(&pfd, 1, 0) <= 0) return;
    if (!PQconsumeInput(c->pg)) return; /* failed: status is now CONNECTION_BAD */
    PGresult *r;
    while (!PQisBusy(c->pg) && (r = PQgetResult(c->pg)) != NULL) PQclear(r); /* none expected */
  }
}

static int pg_check(void *h, err *e) {
  pg_conn *c = h;
  if (PQstatus(c->pg) == CONNECTION_OK && PQtransactionStatus(c->pg) == PQTRANS_IDLE) absorb_idle_input(c);
  if (PQstatus(c->pg) == CONNECTION_OK) return 0;
  PQreset(c->pg);
  if (PQstatus(c->pg) != CONNECTION_OK) {
    char msg[200];
    clean_msg(msg, sizeof msg, PQerrorMessage(c->pg), c->secret);
    return err_set(e, ERR_unavailable, NULL, "database unreachable (%s)", msg);
  }
  c->generation++;
  sb_reset(&c->dealloc); /* the server forgot those statements already */
  if (session_setup(c, e) != 0) {
    if (e) e->code = ERR_unavailable;
    return -1;
  }
  log_info("database connection re-established", NULL);
  return 0;
}

static int pg_begin(void *h, store_txmode mode, err *e) { return run_cmd(h, "BEGIN", e); }

static int pg_commit(void *h, err *e) {
  pg_conn *c = h;
  /* COMMIT of a failed transaction "succeeds" with status ROLLBACK: catch that first. */
  if (PQtransactionStatus(c->pg) == PQTRANS_INERROR) {
    PQclear(PQexec(c->pg, "ROLLBACK"));
    return err_set(e, ERR_internal, NULL, "transaction rolled back: a statement in it had failed");
  }
  PGresult *r = PQexec(c->pg, "COMMIT");
  int rc = 0;
  if (PQresultStatus(r) != PGRES_COMMAND_OK)
    rc = map_error(c, r, e);
  else if (strcmp(PQcmdStatus(r), "COMMIT") != 0)
    rc = err_set(e, ERR_internal, NULL, "transaction rolled back by the server (%s)", PQcmdStatus(r));
  PQclear(r);
  return rc;
}

static void pg_rollback(void *h) {
  pg_conn *c = h;
  if (PQstatus(c->pg) == CONNECTION_OK) PQclear(PQexec(c->pg, "ROLLBACK"));
}

static int pg_exec(void *h, const char *sql, err *e) { return run_cmd(h, sql, e); }

/* ---- statements ---- */

/* Rewrites ? to $1..$n, leaving quoted strings, quoted identifiers and comments alone.
 * (So PostgreSQL's jsonb operators ?, ?| and ?& cannot be written: use jsonb_exists().) */
static char *rewrite_placeholders(const char *sql, int *nparams) {
  strbuf sb;
  sb_init(&sb);
  int n = 0;
  for (const char *p = sql; *p;) {
    if (*p == '\'' || *p == '"') {
      char q = *p;
      /* E'…' strings also escape with backslashes */
      int bs = q == '\'' && p > sql && (p[-1] == 'E' || p[-1] == 'e') &&
               (p - 1 == sql || !(isalnum((unsigned char)p[-2]) || p[-2] == '_'));
      const char *end = p + 1;
      for (; *end; end++) {
        if (bs && *end == '\\' && end[1]) {
          end++;
        } else if (*end == q) {
          if (end[1] != q) break;
          end++; /* a doubled quote inside the literal */
        }
      }
      if (*end) end++;
      sb_add(&sb, p, (size_t)(end - p));
      p = end;
    } else if (p[0] == '-' && p[1] == '-') {
      size_t len = strcspn(p, "\n");
      sb_add(&sb, p, len);
      p += len;
    } else if (p[0] == '/' && p[1] == '*') {
      const char *end = strstr(p + 2, "*/");
      end = end ? end + 2 : p + strlen(p);
      sb_add(&sb, p, (size_t)(end - p));
      p = end;
    } else if (*p == '?') {
      sb_addf(&sb, "$%d", ++n);
      p++;
    } else {
      sb_addc(&sb, *p++);
    }
  }
  *nparams = n;
  return sb_detach(&sb);
}

/* Sends the queued DEALLOCATEs. Only outside transactions: a failure there must not
 * abort the caller's work, and nothing is lost by waiting. */
static void flush_deallocs(pg_conn *c) {
  if (!c->dealloc.len || PQtransactionStatus(c->pg) != PQTRANS_IDLE) return;
  PQclear(PQexec(c->pg, c->dealloc.buf));
  sb_reset(&c->dealloc);
}

/* (Re)creates the server-side statement under a fresh name. */
static int server_prepare(pg_stmt *s, err *e) {
  pg_conn *c = s->c;
  snprintf(s->name, sizeof s->name, "s%u", ++c->next_name);
  PGresult *r = PQprepare(c->pg, s->name, s->sql, s->nparams, NULL);
  int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : map_error(c, r, e);
  PQclear(r);
  if (rc == 0) s->generation = c->generation;
  return rc;
}

static void clear_result(pg_stmt *s) {
  PQclear(s->res);
  s->res = NULL;
  s->row = 0;
  s->ran = 0;
}

static void pg_free(void *p) {
  pg_stmt *s = p;
  if (!s) return;
  if (s->generation == s->c->generation && s->name[0]) sb_addf(&s->c->dealloc, "DEALLOCATE %s;", s->name);
  clear_result(s);
  PQclear(s->desc);
  for (int i = 0; i < s->nparams; i++) free(s->params[i]);
  free(s->params);
  free(s->sql);
  free(s);
}

static void *pg_prepare(void *h, const char *sql, err *e) {
  pg_conn *c = h;
  flush_deallocs(c);
  pg_stmt *s = xcalloc(1, sizeof *s);
  s->c = c;
  s->sql = rewrite_placeholders(sql, &s->nparams);
  if (s->nparams) s->params = xcalloc((size_t)s->nparams, sizeof *s->params);
  if (server_prepare(s, e) != 0) {
    s->name[0] = '\0'; /* nothing to deallocate */
    pg_free(s);
    return NULL;
  }
  return s;
}

static void set_param(pg_stmt *s, int idx, char *v) {
  if (idx < 1 || idx > s->nparams) {
    s->bad_bind = idx;
    free(v);
    return;
  }
  free(s->params[idx - 1]);
  s->params[idx - 1] = v;
}

static void pg_bind_int64(void *p, int idx, int64_t v) {
  char buf[24];
  snprintf(buf, sizeof buf, "%" PRId64, v);
  set_param(p, idx, xstrdup(buf));
}
static void pg_bind_text(void *p, int idx, const char *v) { set_param(p, idx, v ? xstrdup(v) : NULL); }
static void pg_bind_null(void *p, int idx) { set_param(p, idx, NULL); }

static int pg_step(void *p, err *e) {
  pg_stmt *s = p;
  pg_conn *c = s->c;
  if (s->ran) {
    if (s->res && s->row + 1 < PQntuples(s->res)) {
      s->row++;
      return STORE_ROW;
    }
    s->row = s->res ? PQntuples(s->res) : 0;
    return STORE_DONE;
  }
  if (s->bad_bind)
    return err_set(e, ERR_internal, NULL, "bind index %d out of range (statement has %d parameters)",
                   s->bad_bind, s->nparams);
  if (s->generation != c->generation && server_prepare(s, e) != 0) return -1;
  clear_result(s);
  PGresult *r = PQexecPrepared(c->pg, s->name, s->nparams, (const char *const *)s->params, NULL, NULL, 0);
  ExecStatusType st = PQresultStatus(r);
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK && st != PGRES_EMPTY_QUERY) {
    int rc = map_error(c, r, e);
    PQclear(r);
    return rc;
  }
  s->res = r;
  s->ran = 1;
  /* PQcmdTuples also counts the rows of a SELECT; SQLite's changes() would not. */
  s->changes = strncmp(PQcmdStatus(r), "SELECT", 6) == 0 ? 0 : strtoll(PQcmdTuples(r), NULL, 10);
  if (PQntuples(r) > 0) {
    s->row = 0;
    return STORE_ROW;
  }
  return STORE_DONE;
}

/* The result to read column metadata from: the current one, or (before the first step)
 * the statement's description, fetched once. */
static const PGresult *meta(pg_stmt *s) {
  if (s->res) return s->res;
  if (!s->desc && s->generation == s->c->generation) {
    s->desc = PQdescribePrepared(s->c->pg, s->name);
    if (PQresultStatus(s->desc) != PGRES_COMMAND_OK) {
      PQclear(s->desc);
      s->desc = NULL;
    }
  }
  return s->desc;
}

/* The current row's value, or NULL when out of range or SQL NULL. */
static const char *cell(pg_stmt *s, int col) {
  if (!s->res || s->row >= PQntuples(s->res) || col < 0 || col >= PQnfields(s->res)) return NULL;
  if (PQgetisnull(s->res, s->row, col)) return NULL;
  return PQgetvalue(s->res, s->row, col);
}

static int pg_col_count(void *p) {
  const PGresult *r = meta(p);
  return r ? PQnfields(r) : 0;
}

static const char *pg_col_name(void *p, int col) {
  const PGresult *r = meta(p);
  return r && col >= 0 && col < PQnfields(r) ? PQfname(r, col) : NULL;
}

/* numeric (e.g. SUM of BIGINTs) is reported as an integer when the value is one that
 * fits, as SQLite would, so JSON output does not change with the backend. */
static int integral_text(const char *v) {
  char *end;
  errno = 0;
  strtoll(v, &end, 10);
  return end != v && *end == '\0' && errno == 0;
}

static store_coltype pg_col_type(void *p, int col) {
  pg_stmt *s = p;
  const char *v = cell(s, col);
  if (!v) return SCOL_NULL;
  switch (PQftype(s->res, col)) {
    case OID_INT8:
    case OID_INT2:
    case OID_INT4:
    case OID_OID:
    case OID_BOOL: return SCOL_INT;
    case OID_FLOAT4:
    case OID_FLOAT8: return SCOL_REAL;
    case OID_NUMERIC: return integral_text(v) ? SCOL_INT : SCOL_REAL;
    default: return SCOL_TEXT;
  }
}

static int64_t pg_col_int64(void *p, int col) {
  const char *v = cell(p, col);
  if (!v) return 0;
  if (v[0] == 't' && v[1] == '\0') return 1; /* bool */
  if (v[0] == 'f' && v[1] == '\0') return 0;
  if (strpbrk(v, ".eE")) return (int64_t)strtod(v, NULL);
  return strtoll(v, NULL, 10);
}

static double pg_col_double(void *p, int col) {
  const char *v = cell(p, col);
  if (!v) return 0;
  if (v[0] == 't' && v[1] == '\0') return 1;
  return strtod(v, NULL);
}

static const char *pg_col_text(void *p, int col) { return cell(p, col); }
static int64_t pg_changes(void *p) { return ((pg_stmt *)p)->changes; }

static void pg_reset(void *p) {
  pg_stmt *s = p;
  clear_result(s);
  for (int i = 0; i < s->nparams; i++) {
    free(s->params[i]);
    s->params[i] = NULL;
  }
  s->bad_bind = 0;
  s->changes = 0;
}

const store_backend store_postgres_backend = {
    .name = "postgres",
    .dialect = STORE_POSTGRES,
    .conn_open = pg_open,
    .conn_close = pg_close,
    .conn_check = pg_check,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .exec_script = pg_exec,
    .stmt_prepare = pg_prepare,
    .stmt_free = pg_free,
    .bind_int64 = pg_bind_int64,
    .bind_text = pg_bind_text,
    .bind_null = pg_bind_null,
    .step = pg_step,
    .col_count = pg_col_count,
    .col_name = pg_col_name,
    .col_type = pg_col_type,
    .col_int64 = pg_col_int64,
    .col_double = pg_col_double,
    .col_text = pg_col_text,
    .changes = pg_changes,
    .reset = pg_reset,
};
