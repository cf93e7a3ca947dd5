/* cli.c — option parsing, store opening and operator auditing for the subcommands. */
#include "cli/cli.h"

#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "store/migrations.h"

int cli_parse(int argc, char **argv, cli_opt *opts, int nopts, const char **pos, int *npos) {
  int maxpos = *npos;
  *npos = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) return 1;
    if (strncmp(a, "--", 2) != 0) {
      if (*npos >= maxpos) {
        fprintf(stderr, "uniops: unexpected argument '%s'\n", a);
        return -1;
      }
      pos[(*npos)++] = a;
      continue;
    }
    const char *name = a + 2;
    const char *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    cli_opt *o = NULL;
    for (int j = 0; j < nopts; j++)
      if (strlen(opts[j].name) == len && strncmp(opts[j].name, name, len) == 0) o = &opts[j];
    if (!o) {
      fprintf(stderr, "uniops: unknown option '--%.*s'\n", (int)len, name);
      return -1;
    }
    if (!o->takes_value) {
      if (eq) {
        fprintf(stderr, "uniops: option '--%s' takes no value\n", o->name);
        return -1;
      }
      o->value = "1";
    } else if (eq) {
      o->value = eq + 1;
    } else if (i + 1 < argc) {
      o->value = argv[++i];
    } else {
      fprintf(stderr, "uniops: option '--%s' needs a value\n", o->name);
      return -1;
    }
  }
  return 0;
}

const char *cli_get(const cli_opt *opts, int nopts, const char *name) {
  for (int i = 0; i < nopts; i++)
    if (strcmp(opts[i].name, name) == 0) return opts[i].value;
  return NULL;
}

const char *cli_db_url(const char *flag) {
  if (flag && *flag) return flag;
  const char *env = getenv("UNIOPS_DB");
  if (env && *env) return env;
  return "sqlite:var/uniops.db";
}

store *cli_open_store(const char *url, int pool) {
  err e;
  err_clear(&e);
  store *s = store_open(url, pool, &e);
  if (!s) {
    fprintf(stderr, "uniops: cannot open database: %s\n", e.msg);
    return NULL;
  }
  int applied = 0;
  if (store_migrate(s, &applied, &e) != 0) {
    fprintf(stderr, "uniops: migration failed: %s\n", e.msg);
    store_close(s);
    return NULL;
  }
  return s;
}

int cli_read_password(char *buf, unsigned cap) {
  if (!fgets(buf, (int)cap, stdin)) return -1;
  size_t n = strlen(buf);
  while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) buf[--n] = '\0';
  return n ? 0 : -1;
}

int cli_audit(store_conn *c, const char *action, const char *resource, int64_t id, const json_t *before,
              const json_t *after, err *e) {
  char actor[80], idbuf[24];
  struct passwd *pw = getpwuid(getuid());
  snprintf(actor, sizeof actor, "cli:%s", pw ? pw->pw_name : "?");
  snprintf(idbuf, sizeof idbuf, "%" PRId64, id);
  audit_entry en = {.actor = NULL, .actor_name = actor, .ip = "", .request_id = "", .action = action,
                    .resource = resource, .resource_id = idbuf, .before = before, .after = after};
  return audit_write(c, &en, e);
}
