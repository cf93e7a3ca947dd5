/* demo_workorders.c — a few hundred work orders over the last three months, in every state,
 * driven through the real domain code (create, actions, SLA clocks, audit) on a simulated
 * clock: every step happens at its own past instant, in time order, so the clocks, the
 * audit trail and the achievement report tell a consistent story. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/demo.h"
#include "core/clock.h"
#include "modules/workorders/workorders.h"

typedef struct step {
  int64_t t;
  int order;     /* index into the plan */
  int kind;      /* 0 create, else an action */
  const char *action;
  int rating;
} step;

static uint64_t rng = 20261125;
static uint32_t next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng >> 11);
}
static int64_t uniform(int64_t lo, int64_t hi) { return lo + (int64_t)(next_rand() % (uint64_t)(hi - lo + 1)); }

static int by_time(const void *a, const void *b) {
  const step *x = a, *y = b;
  if (x->t != y->t) return x->t < y->t ? -1 : 1;
  return x->order - y->order;
}

#define MIN 60000LL

static const char *const customers[] = {"市教育局信息中心", "市教育局办公室", "市卫生健康委员会信息中心",
                                        "市交通运输局科技信息处", "市人力资源和社会保障局信息中心",
                                        "市市场监督管理局办公室", "市民政局信息科"};
static const char *const items[] = {"A1.3.1", "A1.3.4", "A1.3.5", "A1.3.6", "A1.3.7", "A1.3.8",
                                    "A1.2.2", "A2.2.2", "A2.1.3", "A3.3.2", "A3.1.2", "A1.3.2"};
static const char *const titles[] = {"办公电脑无法开机", "打印机卡纸无法打印", "会议室投影无信号", "无线网络频繁掉线",
                                     "视频会议系统保障", "云主机CPU告警", "数据库备份失败", "门户网站访问缓慢",
                                     "新员工账号开通", "VPN无法连接", "机房空调温度告警", "漏洞修复申请"};
static const char *const levels[] = {"high", "medium", "low"};

static int64_t id_of(store_conn *c, const char *sql, const char *arg, err *e) {
  int64_t id = 0;
  return store_query_int(c, e, &id, sql, "s", arg) == STORE_ROW ? id : -1;
}

int demo_load_workorders(store_conn *c, int n, err *e) {
  int64_t real_now = clock_now_ms();
  int64_t cust[7], itm[12], eng1, eng2;
  for (int i = 0; i < 7; i++)
    if ((cust[i] = id_of(c, "SELECT id FROM orgs WHERE name = ?", customers[i], e)) < 0) return -1;
  for (int i = 0; i < 12; i++)
    if ((itm[i] = id_of(c, "SELECT id FROM catalog_items WHERE code = ?", items[i], e)) < 0) return -1;
  if ((eng1 = id_of(c, "SELECT id FROM users WHERE username = ?", "p1.eng", e)) < 0 ||
      (eng2 = id_of(c, "SELECT id FROM users WHERE username = ?", "p2.eng", e)) < 0)
    return -1;
  step *steps = calloc((size_t)n * 12, sizeof *steps);
  int64_t *ids = calloc((size_t)n, sizeof *ids);
  int ns = 0, rc = -1;
  for (int k = 0; k < n; k++) {
    /* spread over 90 days, office hours more likely than nights */
    int64_t t = real_now - uniform(2 * 60 * MIN, 90LL * 24 * 60 * MIN);
    steps[ns++] = (step){t, k, 0, "create", 0};
    int age_days = (int)((real_now - t) / (24 * 60 * MIN));
    int cancel = next_rand() % 20 == 0;
    /* recent orders stop somewhere along the way; older ones are finished */
    int last = age_days > 7 ? 99 : (int)(next_rand() % 10) - 1;
    const char *plan[] = {"assign", "accept", "arrive", "start", "pend", "resume", "resolve", "confirm"};
    int64_t gaps[] = {uniform(2, 25) * MIN,
                      (next_rand() % 7 == 0 ? uniform(60, 400) : uniform(3, 50)) * MIN,
                      uniform(15, 150) * MIN,
                      uniform(5, 90) * MIN,
                      uniform(30, 240) * MIN,
                      uniform(60, 1800) * MIN,
                      (next_rand() % 6 == 0 ? uniform(900, 5000) : uniform(60, 900)) * MIN,
                      uniform(30, 900) * MIN};
    if (cancel) {
      steps[ns++] = (step){t + uniform(5, 60) * MIN, k, 1, "cancel", 0};
      continue;
    }
    int pend = next_rand() % 4 == 0 || last == 4, arrive = next_rand() % 3 == 0 || last == 2;
    for (int s = 0; s < 8 && s <= last; s++) {
      t += gaps[s];
      if ((s == 4 || s == 5) && !pend) continue;
      if (s == 2 && !arrive) continue;
      if (t >= real_now - MIN) break;
      int rating = 0;
      if (s == 7) {
        uint32_t x = next_rand() % 100;
        rating = x < 50 ? 5 : x < 80 ? 4 : x < 92 ? 3 : x < 97 ? 2 : 1;
      }
      steps[ns++] = (step){t, k, 1, plan[s], rating};
    }
  }
  qsort(steps, (size_t)ns, sizeof *steps, by_time);
  wo_actor sys = {.who = NULL, .name = "demo", .ip = "", .request_id = ""};
  for (int i = 0; i < ns; i++) {
    step *s = &steps[i];
    clock_set_offset_ms(s->t - (clock_now_ms() - clock_offset_ms()));
    json_t *body;
    if (s->kind == 0) {
      int ci = (int)(next_rand() % 7), ii = (int)(next_rand() % 12);
      body = json_pack("{s:s, s:s, s:I, s:I, s:s, s:s, s:s}", "type", next_rand() % 4 ? "incident" : "request", "channel",
                       next_rand() % 3 ? "web" : "hotline", "customer_org_id", (json_int_t)cust[ci], "catalog_item_id",
                       (json_int_t)itm[ii], "impact", levels[next_rand() % 3], "urgency", levels[next_rand() % 3],
                       "title", titles[ii]);
      int r = wo_create_core(c, &sys, body, 1, &ids[s->order], NULL, e);
      json_decref(body);
      if (r != 0) goto out;
      continue;
    }
    if (!ids[s->order]) continue;
    if (!strcmp(s->action, "assign")) {
      int64_t provider = 0;
      store_query_int(c, e, &provider, "SELECT COALESCE(provider_org_id, 0) FROM work_orders WHERE id = ?", "i",
                      ids[s->order]);
      int64_t p2 = id_of(c, "SELECT id FROM orgs WHERE name = ?", "云帆信息技术服务有限公司", e);
      body = json_pack("{s:s, s:I}", "action", "assign", "assignee_id", (json_int_t)(provider == p2 ? eng2 : eng1));
    } else if (!strcmp(s->action, "pend")) {
      body = json_pack("{s:s, s:s}", "action", "pend", "reason", next_rand() % 2 ? "customer" : "parts");
    } else if (!strcmp(s->action, "resolve")) {
      body = json_pack("{s:s, s:s}", "action", "resolve", "resolution", "已处理，经用户确认恢复正常");
    } else if (!strcmp(s->action, "cancel")) {
      body = json_pack("{s:s, s:s}", "action", "cancel", "reason", "用户撤回");
    } else if (!strcmp(s->action, "confirm")) {
      body = json_pack("{s:s, s:i}", "action", "confirm", "rating", s->rating);
    } else {
      body = json_pack("{s:s}", "action", s->action);
    }
    err le;
    err_clear(&le);
    /* an action the state no longer allows (e.g. after a cancel) is simply skipped */
    int r = wo_apply(c, &sys, ids[s->order], body, 1, NULL, &le);
    json_decref(body);
    if (r != 0 && le.code != ERR_invalid_transition && le.code != ERR_validation_failed) {
      *e = le;
      goto out;
    }
  }
  rc = n;
out:
  clock_set_offset_ms(0);
  free(steps);
  free(ids);
  return rc;
}
