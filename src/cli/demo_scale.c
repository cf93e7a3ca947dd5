/* demo_scale.c — `uniops demo --scale N`: bulk-writes N realistic work orders over the two
 * years before now, on top of the demo city, for benchmarks (docs/benchmarks.md).
 *
 * Why not through wo_create_core like the 300 demo orders: that path costs a transaction,
 * an audit record, an event and a dozen queries per order — hours for a million. Here each
 * order's whole life is planned in memory (reported → assigned → accepted → arrived →
 * in progress ⇄ pending → resolved → closed, or cancelled), its SLA clocks are replayed with
 * the real clock arithmetic (slaclock.h on the agreement's calendar, so due_at, spent_ms and
 * breached are exactly what the domain code would have stored), and what has happened by now
 * is written with multi-row INSERTs, 10,000 orders per transaction. Bulk loading is one
 * operator action: ONE audit record "bulk_load", not one per row, and no event log rows.
 *
 * Realism, on purpose: office hours get most reports; ~4 % are cancelled; ~8 % of clocks are
 * planned late; orders reported in the last 45 days may be stuck in any open state, so lists
 * of open and breached orders are not empty; the escalation job's flags (warned, escalated)
 * are set as the job would have set them, so a server started on the result does not send a
 * million overdue notifications. The demo's agreements run from 2026-01-01; older orders are
 * given the same terms, resolved at the same month and day of the current year (the major
 * guarantee period of 国庆 therefore recurs every October, as it does in practice). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "core/strbuf.h"
#include "modules/calendar/caldoc.h"
#include "modules/calendar/calendars.h"
#include "modules/sla/sla.h"
#include "modules/workorders/machine.h"
#include "modules/workorders/slaclock.h"
#include "modules/workorders/workorders.h"

#define MIN_MS 60000LL
#define DAY_MS 86400000LL
#define NEVER INT64_MAX
#define BATCH 10000 /* orders per transaction */
#define ROWS 100    /* rows per INSERT statement */
#define MAX_CUST 64
#define MAX_PROV 4
#define MAX_CALS 16
#define NITEMS 12
#define HISTORY_DAYS 730

/* The same service items and titles as the 300 demo orders (demo_workorders.c). */
static const char *const item_codes[NITEMS] = {"A1.3.1", "A1.3.4", "A1.3.5", "A1.3.6", "A1.3.7", "A1.3.8",
                                               "A1.2.2", "A2.2.2", "A2.1.3", "A3.3.2", "A3.1.2", "A1.3.2"};
static const char *const titles[NITEMS] = {"办公电脑无法开机", "打印机卡纸无法打印", "会议室投影无信号",
                                           "无线网络频繁掉线", "视频会议系统保障",   "云主机CPU告警",
                                           "数据库备份失败",   "门户网站访问缓慢",   "新员工账号开通",
                                           "VPN无法连接",      "机房空调温度告警",   "漏洞修复申请"};
static const char *const metric_names[3] = {"response", "arrival", "resolution"};
enum { M_RESP, M_ARR, M_RES };

/* One resolved agreement for (customer, provider, item, priority, guarantee period or not). */
typedef struct sla_entry {
  int state; /* 0 not yet resolved, 1 applies, -1 no agreement */
  int64_t version_id, calendar_id;
  int64_t target_ms[3]; /* 0: clock not kept */
  char source[24];
  const cal_calendar *cal;
} sla_entry;

typedef struct scale_ctx {
  store_conn *c;
  int64_t now;
  int ncust, nprov;
  int64_t cust[MAX_CUST], prov[MAX_PROV], eng[MAX_PROV];
  /* per customer: the providers an agreement covers, weighted (own agreement 3, general 1) */
  int cand[MAX_CUST][MAX_PROV], cand_w[MAX_CUST][MAX_PROV], ncand[MAX_CUST], cand_wsum[MAX_CUST];
  int64_t item[NITEMS];
  int item_onsite[NITEMS];
  int64_t cal_id[MAX_CALS];
  cal_calendar cals[MAX_CALS];
  int ncals;
  unsigned char guarantee_day[367]; /* day of the year (current year) inside a major guarantee */
  int year;
  sla_entry *sla;
  uint64_t rng;
  /* what was written, for the closing summary */
  int64_t states[WO__NSTATES], clocks, breached_clocks, running_clocks;
} scale_ctx;

typedef struct clock_row {
  int metric;
  slaclock k;
  int warned, escalated;
} clock_row;

typedef struct wo_row {
  int64_t id, created, reported, resolved, closed, updated, version;
  int64_t customer, provider, assignee, item, sla_version, calendar;
  const char *type, *channel, *impact, *urgency, *prio, *title, *pending_reason, *sla_source;
  int state, rating;
  char number[48]; /* room for any key and counter: no truncation warning */
  int nclocks;
  clock_row clk[3];
} wo_row;

/* --- randomness (xorshift64: fast, reproducible for a given `now`) ---------------- */

static uint32_t rnd(scale_ctx *x) {
  x->rng ^= x->rng << 13;
  x->rng ^= x->rng >> 7;
  x->rng ^= x->rng << 17;
  return (uint32_t)(x->rng >> 11);
}
static int64_t uni(scale_ctx *x, int64_t lo, int64_t hi) { return lo + (int64_t)(rnd(x) % (uint64_t)(hi - lo + 1)); }
static double frac(scale_ctx *x, double lo, double hi) { return lo + (hi - lo) * (double)(rnd(x) % 1000000) / 1e6; }
static int pct(scale_ctx *x, int p) { return (int)(rnd(x) % 100) < p; }

/* --- reference data ----------------------------------------------------------------- */

static int load_ids(scale_ctx *x, const char *sql, int64_t *out, int cap, int *n, err *e) {
  store_stmt *st = store_query(x->c, e, sql, NULL);
  if (!st) return -1;
  int rc;
  *n = 0;
  while ((rc = store_step(st, e)) == STORE_ROW)
    if (*n < cap) out[(*n)++] = store_col_int64(st, 0);
  store_finish(st);
  return rc < 0 ? -1 : 0;
}

static const cal_calendar *calendar(scale_ctx *x, int64_t id, err *e) {
  for (int i = 0; i < x->ncals; i++)
    if (x->cal_id[i] == id) return &x->cals[i];
  if (x->ncals == MAX_CALS) {
    err_set(e, ERR_internal, NULL, "more than %d calendars in the agreements", MAX_CALS);
    return NULL;
  }
  if (calendars_load(x->c, id, &x->cals[x->ncals], e) != 0) return NULL;
  x->cal_id[x->ncals] = id;
  return &x->cals[x->ncals++];
}

/* Marks the days of the current year that some agreement treats as a major guarantee. */
static int load_guarantees(scale_ctx *x, err *e) {
  store_stmt *st = store_query(x->c, e,
                               "SELECT v.terms FROM sla_agreements a JOIN sla_versions v ON v.agreement_id = a.id"
                               " WHERE a.active = 1",
                               NULL);
  if (!st) return -1;
  int32_t jan1 = cal_days_from_civil(x->year, 1, 1);
  int rc;
  while ((rc = store_step(st, e)) == STORE_ROW) {
    json_t *terms = json_loads(store_col_text(st, 0), 0, NULL);
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(terms, "major_guarantees"), i, g) {
      int32_t from, to;
      if (cal_parse_date(
              json_string_value(json_object_get(g, "from")) ? json_string_value(json_object_get(g, "from")) : "",
              &from) != 0 ||
          cal_parse_date(json_string_value(json_object_get(g, "to")) ? json_string_value(json_object_get(g, "to")) : "",
                         &to) != 0)
        continue;
      for (int32_t d = from; d <= to; d++)
        if (d - jan1 >= 0 && d - jan1 < 367) x->guarantee_day[d - jan1] = 1;
    }
    json_decref(terms);
  }
  store_finish(st);
  return rc < 0 ? -1 : 0;
}

/* The instant with the same month, day and time of day in the current year: the demo's
 * agreements are valid this year only (see the top of the file). */
static int64_t this_year(const scale_ctx *x, int64_t t, int32_t *doy) {
  int64_t local = t + CAL_TZ_OFFSET_MS;
  int32_t day = (int32_t)(local / DAY_MS);
  int64_t tod = local % DAY_MS;
  int y, m, d;
  cal_civil_from_days(day, &y, &m, &d);
  if (m == 2 && d == 29) d = 28;
  int32_t mapped = cal_days_from_civil(x->year, m, d);
  *doy = mapped - cal_days_from_civil(x->year, 1, 1);
  return (int64_t)mapped * DAY_MS + tod - CAL_TZ_OFFSET_MS;
}

static sla_entry *agreement(scale_ctx *x, int ci, int pi, int ii, int prio, int64_t reported, err *e) {
  int32_t doy;
  int64_t at = this_year(x, reported, &doy);
  int g = doy >= 0 && doy < 367 && x->guarantee_day[doy];
  sla_entry *s =
      &x->sla[((((size_t)ci * MAX_PROV + (size_t)pi) * NITEMS + (size_t)ii) * 4 + (size_t)prio) * 2 + (size_t)g];
  if (s->state) return s;
  static const char *const prios[] = {"P1", "P2", "P3", "P4"};
  sla_query q = {.customer_org_id = x->cust[ci],
                 .provider_org_id = x->prov[pi],
                 .catalog_item_id = x->item[ii],
                 .priority = prios[prio],
                 .at_ms = at};
  sla_resolution res;
  memset(&res, 0, sizeof res);
  err le;
  err_clear(&le);
  if (sla_resolve(x->c, &q, &res, &le) != 0) {
    if (le.code != ERR_not_found && le.code != ERR_conflict) {
      *e = le;
      return NULL;
    }
    s->state = -1;
    return s;
  }
  s->cal = calendar(x, res.calendar_id, e);
  if (!s->cal) return NULL;
  s->state = 1;
  s->version_id = res.sla_version_id;
  s->calendar_id = res.calendar_id;
  snprintf(s->source, sizeof s->source, "%s", res.source);
  s->target_ms[M_RESP] = res.targets.response_s * 1000;
  s->target_ms[M_ARR] = x->item_onsite[ii] ? res.targets.arrival_s * 1000 : 0;
  s->target_ms[M_RES] = res.targets.resolution_s * 1000;
  return s;
}

static int load_reference(scale_ctx *x, err *e) {
  if (load_ids(x, "SELECT id FROM orgs WHERE party = 'customer' AND active = 1 ORDER BY id", x->cust, MAX_CUST,
               &x->ncust, e) != 0 ||
      load_ids(x, "SELECT id FROM orgs WHERE party = 'service' AND parent_id IS NULL AND active = 1 ORDER BY id",
               x->prov, MAX_PROV, &x->nprov, e) != 0)
    return -1;
  if (!x->ncust || !x->nprov)
    return err_set(
        e, ERR_validation_failed, NULL,
        "no customer departments or providers: --scale adds to the demo city (uniops demo on an empty database)");
  for (int p = 0; p < x->nprov; p++) {
    /* an engineer of the provider or of one of its branches */
    int q = store_query_int(x->c, e, &x->eng[p],
                            "SELECT u.id FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.active = 1"
                            " AND u.roles LIKE '%engineer%' AND (o.id = ? OR o.parent_id = ?) ORDER BY u.id",
                            "ii", x->prov[p], x->prov[p]);
    if (q < 0) return -1;
    if (q == STORE_DONE) x->eng[p] = 0;
  }
  for (int i = 0; i < NITEMS; i++) {
    store_stmt *st =
        store_query(x->c, e, "SELECT id, service_mode FROM catalog_items WHERE code = ?", "s", item_codes[i]);
    if (!st) return -1;
    int rc = store_step(st, e);
    if (rc == STORE_ROW) {
      x->item[i] = store_col_int64(st, 0);
      x->item_onsite[i] = store_col_text(st, 1) && strcmp(store_col_text(st, 1), "on_site") == 0;
    }
    store_finish(st);
    if (rc < 0) return -1;
    if (rc != STORE_ROW)
      return err_set(e, ERR_validation_failed, NULL, "catalogue item %s is missing: load the demo first",
                     item_codes[i]);
  }
  if (load_guarantees(x, e) != 0) return -1;
  x->sla = calloc((size_t)MAX_CUST * MAX_PROV * NITEMS * 4 * 2, sizeof *x->sla);
  if (!x->sla) return err_set(e, ERR_internal, NULL, "out of memory");
  /* which providers serve which customer: those an agreement covers at the P3 level */
  for (int ci = 0; ci < x->ncust; ci++) {
    for (int pi = 0; pi < x->nprov; pi++) {
      sla_query q = {.customer_org_id = x->cust[ci], .provider_org_id = x->prov[pi], .priority = "P3", .at_ms = x->now};
      sla_resolution res;
      memset(&res, 0, sizeof res);
      err le;
      err_clear(&le);
      if (sla_resolve(x->c, &q, &res, &le) != 0) {
        if (le.code != ERR_not_found && le.code != ERR_conflict) {
          *e = le;
          return -1;
        }
        continue;
      }
      int w = res.customer_org_id ? 3 : 1;
      x->cand[ci][x->ncand[ci]] = pi;
      x->cand_w[ci][x->ncand[ci]++] = w;
      x->cand_wsum[ci] += w;
    }
  }
  return 0;
}

/* --- one order's life ----------------------------------------------------------------- */

/* t plus business time d on the calendar (wall time without one). */
static int64_t badd(const cal_calendar *cal, int64_t t, int64_t d) {
  int64_t r = cal ? cal_add(cal, t, d) : -1;
  return r > 0 ? r : t + d;
}
static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

/* The clock stops (or pauses) at t: had the escalation job warned or escalated it by then? */
static void note_flags(clock_row *k, int64_t t) {
  if (!k->k.started_at) return;
  if (k->k.warn_at && t >= k->k.warn_at) k->warned = 1;
  if (k->k.due_at && t > k->k.due_at) k->escalated = 1;
}

static clock_row *clock_of(wo_row *w, int metric) {
  for (int i = 0; i < w->nclocks; i++)
    if (w->clk[i].metric == metric) return &w->clk[i];
  return NULL;
}

static void stop_clock(wo_row *w, const cal_calendar *cal, int metric, int64_t t) {
  clock_row *k = clock_of(w, metric);
  if (!k || !cal || k->k.stopped_at) return;
  note_flags(k, t);
  slaclock_stop(&k->k, cal, t);
}

/* When wo_autoclose_run (escalation.c) closes an order resolved at t: WO_AUTO_CLOSE_DAYS
 * average working days of the calendar later. */
static int64_t autoclose_at(const cal_calendar *cal, int64_t t) {
  int64_t deadline = t + (int64_t)WO_AUTO_CLOSE_DAYS * DAY_MS;
  if (cal) {
    int days = 0;
    for (int d = 0; d < 7; d++) days += cal->nperiods[d] > 0;
    int64_t day_ms = days ? cal_week_ms(cal) / days : DAY_MS;
    int64_t due = cal_add(cal, t, (int64_t)WO_AUTO_CLOSE_DAYS * day_ms);
    if (due > 0) deadline = due;
  }
  return deadline;
}

enum { EV_ASSIGN, EV_ACCEPT, EV_ARRIVE, EV_START, EV_PEND, EV_RESUME, EV_RESOLVE, EV_CONFIRM, EV_CANCEL, EV__N };

/* Plans the order created at `created`, then replays what has happened by now into *w. */
static int gen_order(scale_ctx *x, int64_t created, wo_row *w, err *e) {
  static const char *const levels[] = {"high", "medium", "low"};
  memset(w, 0, sizeof *w);
  w->created = created;
  uint32_t r = rnd(x) % 100;
  w->type = r < 70 ? "incident" : r < 95 ? "request" : r < 98 ? "consultation" : "complaint";
  r = rnd(x) % 100;
  w->channel = r < 60 ? "web" : r < 88 ? "hotline" : r < 93 ? "email" : r < 97 ? "alert" : "api";
  /* a hotline call is recorded a little after it came in */
  w->reported = strcmp(w->channel, "hotline") == 0 ? created - uni(x, 1, 20) * MIN_MS : created;
  int ci = (int)(rnd(x) % (uint32_t)x->ncust);
  w->customer = x->cust[ci];
  int pi = 0;
  if (x->ncand[ci]) {
    int pick = (int)(rnd(x) % (uint32_t)x->cand_wsum[ci]);
    for (int j = 0; j < x->ncand[ci]; j++) {
      if (pick < x->cand_w[ci][j]) {
        pi = x->cand[ci][j];
        break;
      }
      pick -= x->cand_w[ci][j];
    }
  }
  w->provider = x->prov[pi];
  int ii = (int)(rnd(x) % NITEMS);
  w->item = x->item[ii];
  w->title = titles[ii];
  r = rnd(x) % 100;
  w->impact = levels[r < 10 ? 0 : r < 50 ? 1 : 2];
  r = rnd(x) % 100;
  w->urgency = levels[r < 15 ? 0 : r < 60 ? 1 : 2];
  w->prio = wo_priority_matrix(w->impact, w->urgency);
  sla_entry *s = agreement(x, ci, pi, ii, w->prio[1] - '1', w->reported, e);
  if (!s) return -1;
  const cal_calendar *cal = s->state == 1 ? s->cal : NULL;
  /* without an agreement the plan still needs durations: typical ones, in wall time */
  int64_t tgt[3] = {30 * MIN_MS, 0, 8 * 60 * MIN_MS};
  if (cal) {
    w->sla_version = s->version_id;
    w->calendar = s->calendar_id;
    w->sla_source = s->source;
    for (int m = 0; m < 3; m++) {
      tgt[m] = s->target_ms[m];
      if (!tgt[m]) continue;
      clock_row *k = &w->clk[w->nclocks++];
      k->metric = m;
      slaclock_start(&k->k, cal, tgt[m], WO_WARN_PCT, w->reported);
    }
  }
  /* the plan: 6 % of clocks late, the rest within target; waits for parts and stuck orders
   * add to that, and ~8 % end up breached */
  int64_t t0 = w->reported, ev[EV__N];
  for (int i = 0; i < EV__N; i++) ev[i] = NEVER;
  int customer_pause = 0;
  if (pct(x, 4)) {
    ev[EV_CANCEL] = created + uni(x, 5, 120) * MIN_MS;
  } else {
#define SPENT(m) ((int64_t)((double)tgt[m] * (pct(x, 6) ? frac(x, 1.05, 2.5) : frac(x, 0.1, 0.95))))
    ev[EV_ASSIGN] = created + uni(x, 2, 30) * MIN_MS;
    ev[EV_ACCEPT] = max64(ev[EV_ASSIGN] + uni(x, 1, 10) * MIN_MS, badd(cal, t0, SPENT(M_RESP)));
    int64_t before_start = ev[EV_ACCEPT];
    if (tgt[M_ARR])
      before_start = ev[EV_ARRIVE] = max64(ev[EV_ACCEPT] + uni(x, 10, 40) * MIN_MS, badd(cal, t0, SPENT(M_ARR)));
    ev[EV_START] = before_start + uni(x, 1, 30) * MIN_MS;
    int64_t spent_res = SPENT(M_RES), after = ev[EV_START];
    int64_t planned = badd(cal, t0, spent_res);
    if (pct(x, 20)) {
      customer_pause = pct(x, 50);
      ev[EV_PEND] = ev[EV_START] + uni(x, 10, 240) * MIN_MS;
      /* a customer may take days to answer; parts and vendors usually come within hours */
      ev[EV_RESUME] = ev[EV_PEND] + (customer_pause ? uni(x, 30, 2880) : uni(x, 10, 600)) * MIN_MS;
      after = ev[EV_RESUME];
      if (customer_pause && cal) {
        /* the wait for the customer does not count: the budget left resumes afterwards */
        int64_t used = cal_elapsed(cal, t0, ev[EV_PEND]);
        planned = spent_res > used ? badd(cal, ev[EV_RESUME], spent_res - used) : after;
      }
    }
#undef SPENT
    ev[EV_RESOLVE] = max64(planned, after + uni(x, 10, 60) * MIN_MS);
    if (pct(x, 85)) {
      /* the customer confirms, usually within two days, and rates the service */
      ev[EV_CONFIRM] = ev[EV_RESOLVE] + uni(x, 30, 2880) * MIN_MS;
      r = rnd(x) % 100;
      w->rating = r < 50 ? 5 : r < 80 ? 4 : r < 92 ? 3 : r < 97 ? 2 : 1;
    } else {
      /* nobody answers: the auto-close job closes it when escalation.c would, within a minute */
      ev[EV_CONFIRM] = autoclose_at(cal, ev[EV_RESOLVE]) + uni(x, 0, 1) * MIN_MS;
    }
    /* recent orders may be stuck in any open state (waiting for parts, a busy engineer…):
     * 40 % of today's, fewer the older they are, none after 45 days */
    int64_t age = x->now - created;
    if (age < 45 * DAY_MS && (int64_t)(rnd(x) % 1000) < 400 * (45 * DAY_MS - age) / (45 * DAY_MS)) {
      /* where it stops: in_progress twice as often as the others; never "resolved", which
       * the auto-close job would close in the middle of a benchmark */
      static const int cut_after[] = {-1, EV_ASSIGN, EV_ACCEPT, EV_ARRIVE, EV_START, EV_START, EV_PEND};
      int cut = cut_after[rnd(x) % 7];
      if (cut == EV_PEND && ev[EV_PEND] == NEVER) cut = EV_START;
      if (cut == EV_ARRIVE && ev[EV_ARRIVE] == NEVER) cut = EV_ACCEPT;
      for (int i = cut + 1; i < EV__N; i++) ev[i] = NEVER;
    }
  }
  /* replay up to now, in order: the events are planned in time order */
  w->state = WO_new;
  w->version = 1;
  w->updated = created;
  const char *pend_reason = customer_pause ? "customer" : (rnd(x) % 2 ? "parts" : "vendor");
  for (int i = 0; i < EV__N; i++) {
    int64_t t = ev[i];
    if (t == NEVER || t > x->now) continue;
    switch (i) {
      case EV_ASSIGN:
        w->state = WO_assigned;
        w->assignee = x->eng[pi];
        break;
      case EV_ACCEPT:
        w->state = WO_accepted;
        stop_clock(w, cal, M_RESP, t);
        break;
      case EV_ARRIVE:
        w->state = WO_arrived;
        stop_clock(w, cal, M_ARR, t);
        break;
      case EV_START:
        w->state = WO_in_progress;
        break;
      case EV_PEND: {
        w->state = WO_pending;
        w->pending_reason = pend_reason;
        clock_row *k = clock_of(w, M_RES);
        if (customer_pause && k && cal) {
          note_flags(k, t);
          slaclock_pause(&k->k, cal, t);
        }
        break;
      }
      case EV_RESUME: {
        w->state = WO_in_progress;
        w->pending_reason = NULL;
        clock_row *k = clock_of(w, M_RES);
        if (customer_pause && k && cal) slaclock_resume(&k->k, cal, t);
        break;
      }
      case EV_RESOLVE:
        w->state = WO_resolved;
        w->resolved = t;
        for (int m = 0; m < 3; m++) stop_clock(w, cal, m, t);
        break;
      case EV_CONFIRM:
        w->state = WO_closed;
        w->closed = t;
        break;
      case EV_CANCEL:
        w->state = WO_cancelled;
        w->closed = t;
        for (int m = 0; m < 3; m++) stop_clock(w, cal, m, t);
        break;
    }
    w->version++;
    w->updated = t;
  }
  if (w->state != WO_closed) w->rating = 0;
  /* clocks still running: the escalation job has warned and escalated what is due */
  for (int i = 0; i < w->nclocks; i++) {
    clock_row *k = &w->clk[i];
    if (k->k.started_at) {
      x->running_clocks++;
      note_flags(k, x->now);
      if (k->escalated) k->k.breached = 1;
    }
    x->clocks++;
    x->breached_clocks += slaclock_state(&k->k, x->now) == CLOCK_BREACHED;
  }
  x->states[w->state]++;
  return 0;
}

/* --- writing ------------------------------------------------------------------------- */

static const char wo_cols[] =
    "INSERT INTO work_orders (id, number, type, channel, customer_org_id, catalog_item_id, impact, urgency, priority,"
    " title, state, pending_reason, provider_org_id, assignee_id, sla_version_id, sla_source, calendar_id,"
    " reported_at, resolved_at, closed_at, resolution, rating, version, created_at, updated_at) VALUES ";
#define WO_NCOLS 25
static const char clk_cols[] =
    "INSERT INTO wo_clocks (work_order_id, metric, target_ms, spent_ms, started_at, due_at, warn_at, stopped_at,"
    " breached, warned, escalated) VALUES ";
#define CLK_NCOLS 11

/* "INSERT … VALUES (?, …), (?, …)" for n rows: the text is the statement cache's key, so
 * the full-size statement is parsed once per connection and reused. */
static store_stmt *multi_insert(store_conn *c, const char *head, int ncols, int n, err *e) {
  strbuf sql;
  sb_init(&sql);
  sb_adds(&sql, head);
  for (int r = 0; r < n; r++) {
    sb_adds(&sql, r ? ", (" : "(");
    for (int k = 0; k < ncols; k++) sb_adds(&sql, k ? ", ?" : "?");
    sb_adds(&sql, ")");
  }
  store_stmt *st = store_prepare(c, sql.buf, e);
  sb_release(&sql);
  return st;
}

static void bind_opt(store_stmt *st, int i, int64_t v) {
  if (v)
    store_bind_int64(st, i, v);
  else
    store_bind_null(st, i);
}

static int write_orders(store_conn *c, const wo_row *rows, int n, err *e) {
  store_stmt *st = multi_insert(c, wo_cols, WO_NCOLS, n, e);
  if (!st) return -1;
  int i = 1;
  for (int r = 0; r < n; r++) {
    const wo_row *w = &rows[r];
    int done = w->state == WO_resolved || w->state == WO_closed;
    store_bind_int64(st, i++, w->id);
    store_bind_text(st, i++, w->number);
    store_bind_text(st, i++, w->type);
    store_bind_text(st, i++, w->channel);
    store_bind_int64(st, i++, w->customer);
    store_bind_int64(st, i++, w->item);
    store_bind_text(st, i++, w->impact);
    store_bind_text(st, i++, w->urgency);
    store_bind_text(st, i++, w->prio);
    store_bind_text(st, i++, w->title);
    store_bind_text(st, i++, wo_state_name(w->state));
    store_bind_text(st, i++, w->pending_reason);
    store_bind_int64(st, i++, w->provider);
    bind_opt(st, i++, w->assignee);
    bind_opt(st, i++, w->sla_version);
    store_bind_text(st, i++, w->sla_source);
    bind_opt(st, i++, w->calendar);
    store_bind_int64(st, i++, w->reported);
    bind_opt(st, i++, w->resolved);
    bind_opt(st, i++, w->closed);
    store_bind_text(st, i++, done ? "已处理，经用户确认恢复正常" : NULL);
    bind_opt(st, i++, w->rating);
    store_bind_int64(st, i++, w->version);
    store_bind_int64(st, i++, w->created);
    store_bind_int64(st, i++, w->updated);
  }
  int rc = store_step(st, e);
  store_finish(st);
  return rc == STORE_DONE ? 0 : -1;
}

typedef struct clock_ref {
  int64_t wo;
  const clock_row *k;
} clock_ref;

static int write_clocks(store_conn *c, const clock_ref *refs, int n, err *e) {
  store_stmt *st = multi_insert(c, clk_cols, CLK_NCOLS, n, e);
  if (!st) return -1;
  int i = 1;
  for (int r = 0; r < n; r++) {
    const slaclock *k = &refs[r].k->k;
    store_bind_int64(st, i++, refs[r].wo);
    store_bind_text(st, i++, metric_names[refs[r].k->metric]);
    store_bind_int64(st, i++, k->target_ms);
    store_bind_int64(st, i++, k->spent_ms);
    store_bind_int64(st, i++, k->started_at);
    store_bind_int64(st, i++, k->due_at);
    store_bind_int64(st, i++, k->warn_at);
    store_bind_int64(st, i++, k->stopped_at);
    store_bind_int64(st, i++, k->breached);
    store_bind_int64(st, i++, refs[r].k->warned);
    store_bind_int64(st, i++, refs[r].k->escalated);
  }
  int rc = store_step(st, e);
  store_finish(st);
  return rc == STORE_DONE ? 0 : -1;
}

static int32_t local_day(int64_t t) { return (int32_t)((t + CAL_TZ_OFFSET_MS) / DAY_MS); }

/* Numbers WOyyyymmddNNNN by the creation day. The orders of a batch come in time order, so
 * each day is one run: its numbers are reserved as a block in wo_number_seq, in this
 * transaction (concurrent creates of the same day get numbers after the block). */
static int number_batch(store_conn *c, wo_row *rows, int n, err *e) {
  for (int i = 0; i < n;) {
    int32_t day = local_day(rows[i].created);
    int j = i;
    while (j < n && local_day(rows[j].created) == day) j++;
    int y, m, d;
    cal_civil_from_days(day, &y, &m, &d);
    char key[16];
    snprintf(key, sizeof key, "%04d%02d%02d", y, m, d);
    int64_t last = 0;
    if (store_query_int(c, e, &last,
                        "INSERT INTO wo_number_seq (day, last) VALUES (?, ?) ON CONFLICT (day) DO UPDATE"
                        " SET last = wo_number_seq.last + ? RETURNING last",
                        "sii", key, (int64_t)(j - i), (int64_t)(j - i)) != STORE_ROW)
      return -1;
    for (int k = i; k < j; k++)
      snprintf(rows[k].number, sizeof rows[k].number, "WO%s%04" PRId64, key, last - (j - k) + 1);
    i = j;
  }
  return 0;
}

/* The batch's orders and clocks, ROWS rows per statement. */
static int write_batch(store_conn *c, const wo_row *rows, int n, clock_ref *refs, err *e) {
  int nrefs = 0;
  for (int i = 0; i < n; i += ROWS) {
    int k = n - i < ROWS ? n - i : ROWS;
    if (write_orders(c, rows + i, k, e) != 0) return -1;
    for (int r = i; r < i + k; r++)
      for (int m = 0; m < rows[r].nclocks; m++) {
        refs[nrefs++] = (clock_ref){rows[r].id, &rows[r].clk[m]};
        if (nrefs == ROWS) {
          if (write_clocks(c, refs, nrefs, e) != 0) return -1;
          nrefs = 0;
        }
      }
  }
  return nrefs ? write_clocks(c, refs, nrefs, e) : 0;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

/* Creation instants over the last two years, sorted: weekday office hours get most. */
static int64_t *plan_times(scale_ctx *x, long long n) {
  int64_t *t = malloc((size_t)n * sizeof *t);
  if (!t) return NULL;
  int64_t lo = x->now - HISTORY_DAYS * DAY_MS, hi = x->now - 5 * MIN_MS;
  for (long long i = 0; i < n;) {
    int64_t c = lo + (int64_t)(((uint64_t)rnd(x) << 21 ^ rnd(x)) % (uint64_t)(hi - lo));
    int64_t local = c + CAL_TZ_OFFSET_MS;
    int hour = (int)(local % DAY_MS / 3600000);
    int weekend = cal_weekday((int32_t)(local / DAY_MS)) >= 5;
    int p = hour >= 8 && hour < 18 ? (weekend ? 25 : 100) : (weekend ? 4 : 12);
    if (pct(x, p)) t[i++] = c;
  }
  qsort(t, (size_t)n, sizeof *t, cmp_i64);
  return t;
}

int demo_scale(store *s, long long n, err *e) {
  scale_ctx *x = calloc(1, sizeof *x);
  wo_row *rows = calloc(BATCH, sizeof *rows);
  clock_ref *refs = calloc(ROWS, sizeof *refs);
  int64_t *times = NULL;
  store_conn *c = NULL;
  int rc = -1;
  if (!x || !rows || !refs) {
    err_set(e, ERR_internal, NULL, "out of memory");
    goto out;
  }
  x->now = clock_now_ms();
  x->rng = 0x5eed2026ULL;
  int m, d;
  cal_civil_from_days(local_day(x->now), &x->year, &m, &d);
  if (!(c = store_acquire(s, e))) goto out;
  x->c = c;
  /* a bigger page cache for this connection only: the indexes grow past the default 16 MB */
  if (store_conn_dialect(c) == STORE_SQLITE && store_exec_script(c, "PRAGMA cache_size=-262144", e) != 0) goto out;
  if (store_begin(c, STORE_READ, e) != 0 || load_reference(x, e) != 0) goto out;
  store_rollback(c);
  if (!(times = plan_times(x, n))) {
    err_set(e, ERR_internal, NULL, "out of memory");
    goto out;
  }
  int64_t t_start = clock_mono_us(), first_id = 0, last_id = 0;
  for (long long done = 0; done < n;) {
    int k = n - done < BATCH ? (int)(n - done) : BATCH;
    if (store_begin(c, STORE_WRITE, e) != 0) goto out;
    /* ids follow the existing ones, in creation order (taken inside the write transaction) */
    int64_t base = 0;
    if (store_query_int(c, e, &base, "SELECT COALESCE(MAX(id), 0) FROM work_orders", NULL) < 0) goto out;
    for (int i = 0; i < k; i++) {
      if (gen_order(x, times[done + i], &rows[i], e) != 0) goto out;
      rows[i].id = base + 1 + i;
    }
    if (!first_id) first_id = base + 1;
    last_id = base + k;
    if (number_batch(c, rows, k, e) != 0 || write_batch(c, rows, k, refs, e) != 0) goto out;
    /* PostgreSQL: explicit ids leave the identity sequence behind; move it past them */
    if (store_conn_dialect(c) == STORE_POSTGRES &&
        store_run(c, e, "SELECT setval(pg_get_serial_sequence('work_orders', 'id'), ?)", "i", last_id) < 0)
      goto out;
    done += k;
    if (done == n) {
      char from[40], to[40];
      time_format_rfc3339(times[0], from);
      time_format_rfc3339(times[n - 1], to);
      json_t *after = json_pack("{s:I, s:I, s:I, s:I, s:s, s:s}", "count", (json_int_t)n, "clocks",
                                (json_int_t)x->clocks, "first_id", (json_int_t)first_id, "last_id", (json_int_t)last_id,
                                "created_from", from, "created_to", to);
      int arc = cli_audit(c, "bulk_load", "work_order", first_id, NULL, after, e);
      json_decref(after);
      if (arc != 0) goto out;
    }
    if (store_commit(c, e) != 0) goto out;
    if (done % 100000 == 0 || done == n) {
      double secs = (double)(clock_mono_us() - t_start) / 1e6;
      fprintf(stderr, "demo --scale: %lld / %lld work orders (%.0f/s)\n", done, n,
              (double)done / (secs > 0 ? secs : 1));
    }
  }
  /* PostgreSQL plans from statistics that autovacuum would refresh only some time later,
   * possibly in the middle of a benchmark: refresh them now (SQLite has none unless
   * ANALYZE is run, and the server never runs it, so neither do we) */
  if (store_conn_dialect(c) == STORE_POSTGRES && store_exec_script(c, "ANALYZE work_orders, wo_clocks", e) != 0)
    goto out;
  double secs = (double)(clock_mono_us() - t_start) / 1e6;
  printf("demo --scale: wrote %lld work orders and %" PRId64 " SLA clocks in %.1f s: %.0f work orders/s\n", n,
         x->clocks, secs, (double)n / (secs > 0 ? secs : 1));
  printf("  states:");
  for (int i = 0; i < WO__NSTATES; i++)
    printf(" %s %.2f%%", wo_state_name(i), 100.0 * (double)x->states[i] / (double)n);
  printf("\n  clocks: %.1f%% breached, %" PRId64 " still running\n",
         x->clocks ? 100.0 * (double)x->breached_clocks / (double)x->clocks : 0.0, x->running_clocks);
  rc = 0;
out:
  if (c) {
    store_rollback(c);
    store_release(s, c);
  }
  if (x) {
    for (int i = 0; i < x->ncals; i++) caldoc_free(&x->cals[i]);
    free(x->sla);
  }
  free(x);
  free(rows);
  free(refs);
  free(times);
  return rc;
}
