/* cmd_demo.c — `uniops demo`: a realistic (fictional) city to try the platform on:
 * the management party, customer departments with sub-departments, a supervision firm,
 * two service providers, and a user for every role. Passwords are in docs/demo.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "cli/demo.h"

#define DEMO_PASSWORD "Uniops@2026"

static const char help[] =
    "usage: uniops demo [--if-empty] [--scale N] [--as-of TIME] [--db URL]\n"
    "\n"
    "Loads the demo city into an empty database (all in one transaction, audited):\n"
    "the operations centre (management party), six departments with sub-departments,\n"
    "a supervision firm, two service providers, a user for every role, and the service\n"
    "catalogue covering every service content item of clause 8, business calendars\n"
    "(office hours with the 2025-2026 holidays, 7x24), three SLA agreements and 300 work\n"
    "orders over the last three months in every state. Every demo\n"
    "user's password is " DEMO_PASSWORD " (see docs/demo.md).\n"
    "\n"
    "  --if-empty  do nothing (and succeed) when organisations already exist\n"
    "  --scale N   then bulk-write N more work orders over the last two years (for\n"
    "              benchmarks; 1 to 50000000); on a database that already holds the demo,\n"
    "              only the bulk write happens\n"
    "  --as-of TIME  the instant the demo's three months end (RFC 3339, e.g.\n"
    "              2026-11-20T12:00:00+08:00; default now): the same city, shifted in\n"
    "              time, so that a test or a training session can rely on what a given\n"
    "              week holds\n";

typedef struct demo_org {
  const char *key, *name, *party, *parent;
} demo_org;

static const demo_org orgs[] = {
    {"mgmt", "市政务服务数据管理局运维管理中心", "management", NULL},
    {"edu", "市教育局", "customer", NULL},
    {"edu.office", "市教育局办公室", "customer", "edu"},
    {"edu.it", "市教育局信息中心", "customer", "edu"},
    {"health", "市卫生健康委员会", "customer", NULL},
    {"health.it", "市卫生健康委员会信息中心", "customer", "health"},
    {"transport", "市交通运输局", "customer", NULL},
    {"transport.tech", "市交通运输局科技信息处", "customer", "transport"},
    {"hr", "市人力资源和社会保障局", "customer", NULL},
    {"hr.it", "市人力资源和社会保障局信息中心", "customer", "hr"},
    {"market", "市市场监督管理局", "customer", NULL},
    {"market.office", "市市场监督管理局办公室", "customer", "market"},
    {"civil", "市民政局", "customer", NULL},
    {"civil.it", "市民政局信息科", "customer", "civil"},
    {"sup", "穗诚信息工程监理有限公司", "supervision", NULL},
    {"p1", "南粤数智运维服务有限公司", "service", NULL},
    {"p1.onsite", "南粤数智运维服务有限公司驻场服务部", "service", "p1"},
    {"p2", "云帆信息技术服务有限公司", "service", NULL},
};
#define NORGS (sizeof orgs / sizeof orgs[0])

typedef struct demo_user {
  const char *username, *name, *org, *roles;
} demo_user;

static const demo_user users[] = {
    {"sysadmin", "系统管理员 周敏", "mgmt", "sysadmin"},
    {"secadmin", "安全管理员 吴强", "mgmt", "secadmin"},
    {"auditor", "审计管理员 郑洁", "mgmt", "auditor"},
    {"ops.manager", "运维主管 黄海", "mgmt", "manager"},
    {"edu.admin", "教育局管理员 林芳", "edu", "dept_admin"},
    {"edu.zhang", "张伟", "edu.it", "requester"},
    {"health.admin", "卫健委管理员 何静", "health", "dept_admin"},
    {"health.li", "李娜", "health.it", "requester"},
    {"transport.chen", "陈刚", "transport.tech", "requester"},
    {"hr.admin", "人社局管理员 梁晨", "hr", "dept_admin"},
    {"market.xu", "许丽", "market.office", "requester"},
    {"civil.guo", "郭涛", "civil.it", "requester"},
    {"supervisor", "监理工程师 罗军", "sup", "supervisor"},
    {"p1.desk", "服务台 王蕾", "p1", "service_desk"},
    {"p1.eng", "运维工程师 陈磊", "p1.onsite", "engineer"},
    {"p1.pm", "项目经理 刘洋", "p1", "provider_manager"},
    {"p2.desk", "服务台 杨帆", "p2", "service_desk"},
    {"p2.eng", "运维工程师 赵鹏", "p2", "engineer"},
    {"p2.pm", "项目经理 孙悦", "p2", "provider_manager"},
};
#define NUSERS (sizeof users / sizeof users[0])

static int org_index(const char *key) {
  for (size_t i = 0; i < NORGS; i++)
    if (strcmp(orgs[i].key, key) == 0) return (int)i;
  return -1;
}

static int load(store_conn *c, err *e) {
  int64_t ids[NORGS];
  for (size_t i = 0; i < NORGS; i++) {
    json_t *b = json_pack("{s:s, s:s}", "name", orgs[i].name, "party", orgs[i].party);
    if (orgs[i].parent) json_object_set_new(b, "parent_id", json_integer(ids[org_index(orgs[i].parent)]));
    int rc = cli_org_insert(c, b, &ids[i], e);
    json_decref(b);
    if (rc != 0) return -1;
  }
  for (size_t i = 0; i < NUSERS; i++) {
    json_t *roles = json_array();
    json_array_append_new(roles, json_string(users[i].roles));
    json_t *b = json_pack("{s:s, s:s, s:I, s:o, s:s}", "username", users[i].username, "display_name", users[i].name,
                          "org_id", (json_int_t)ids[org_index(users[i].org)], "roles", roles, "password", DEMO_PASSWORD);
    int64_t id;
    /* demo accounts are ready to use: no forced change at first login */
    int rc = cli_user_insert(c, b, 0, &id, e);
    json_decref(b);
    if (rc != 0) return -1;
  }
  if (demo_load_catalog(c, e) < 0) return -1;
  if (demo_load_sla(c, ids[org_index("p1")], ids[org_index("p2")], ids[org_index("edu")], ids[org_index("health")], e) < 0)
    return -1;
  if (demo_load_workorders(c, 300, e) < 0) return -1;
  return 0;
}

int cmd_demo(int argc, char **argv) {
  cli_opt opts[] = {{"if-empty", 0, NULL}, {"db", 1, NULL}, {"scale", 1, NULL}, {"as-of", 1, NULL}};
  int npos = 0;
  const char *pos[1];
  int rc = cli_parse(argc, argv, opts, 4, pos, &npos);
  long long scale = 0;
  if (rc == 0 && cli_get(opts, 4, "as-of")) {
    int64_t as_of = 0;
    if (time_parse_rfc3339(cli_get(opts, 4, "as-of"), &as_of) != 0) {
      fprintf(stderr, "uniops: --as-of must be an RFC 3339 time, e.g. 2026-11-20T12:00:00+08:00\n");
      rc = -1;
    } else {
      /* the loader runs on the process clock (demo_workorders.c moves it step by step) */
      clock_set_offset_ms(as_of - (clock_now_ms() - clock_offset_ms()));
    }
  }
  if (rc == 0 && cli_get(opts, 4, "scale")) {
    char *end;
    const char *v = cli_get(opts, 4, "scale");
    scale = strtoll(v, &end, 10);
    if (!*v || *end || scale < 1 || scale > 50000000) {
      fprintf(stderr, "uniops: --scale must be a number of work orders from 1 to 50000000\n");
      rc = -1;
    }
  }
  if (rc == 1) {
    fputs(help, stdout);
    return EXIT_OK;
  }
  if (rc < 0) {
    fputs(help, stderr);
    return EXIT_USAGE;
  }
  store *s = cli_open_store(cli_db_url(cli_get(opts, 4, "db")), 1);
  if (!s) return EXIT_FAIL;
  err e;
  err_clear(&e);
  int64_t existing = 0;
  int result = EXIT_FAIL;
  store_conn *c = store_acquire(s, &e);
  if (!c) goto out;
  if (store_begin(c, STORE_WRITE, &e) != 0) goto fail;
  if (store_query_int(c, &e, &existing, "SELECT COUNT(*) FROM orgs", NULL) < 0) goto fail;
  if (existing) {
    store_rollback(c);
    if (scale) goto bulk; /* the demo is there (demo_scale checks): only the bulk write */
    if (cli_get(opts, 4, "if-empty")) {
      printf("demo: the database already has data; nothing loaded\n");
      result = EXIT_OK;
    } else {
      fprintf(stderr, "uniops: the database already has organisations; demo loads only into an empty one\n");
    }
    goto out;
  }
  if (load(c, &e) != 0 || store_commit(c, &e) != 0) goto fail;
  printf("demo loaded: %zu organisations, %zu users (password %s)\n", NORGS, NUSERS, DEMO_PASSWORD);
  result = EXIT_OK;
  if (!scale) goto out;
bulk:
  store_release(s, c);
  c = NULL;
  result = demo_scale(s, scale, &e) == 0 ? EXIT_OK : EXIT_FAIL;
  if (result == EXIT_OK) goto out;
fail:
  fprintf(stderr, "uniops: demo failed: %s%s%s\n", e.field, e.field[0] ? ": " : "", e.msg);
out:
  if (c) {
    store_rollback(c);
    store_release(s, c);
  }
  store_close(s);
  return result;
}
