/* server.c — libmicrohttpd glue: body collection with a size limit, the request
 * pipeline (route → authenticate → handler → response), access log, metrics, and
 * graceful shutdown. */
#include "http/server.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <semaphore.h>
#include <signal.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "auth/policy.h"
#include "auth/session.h"
#include "core/clock.h"
#include "core/jsontext.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "http/metrics.h"
#include "http/req.h"

typedef struct conn_ctx {
  strbuf body;
  int too_large;
  int answered;     /* a response is queued: ignore whatever else arrives */
  size_t discarded; /* body bytes past the limit, read and thrown away */
  int64_t started_us;
} conn_ctx;

static app *the_app;
static atomic_int in_flight;
/* Each connection has its own thread (see server_run); at most app.threads of them run a
 * handler at once, the others wait here — which bounds database connections in use. */
static sem_t handler_slots;

static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len) {
  char host[128];
  const char *colon = strrchr(s, ':');
  if (!colon || colon == s || strlen(colon + 1) == 0) return -1;
  size_t hl = (size_t)(colon - s);
  if (hl >= sizeof host) return -1;
  memcpy(host, s, hl);
  host[hl] = '\0';
  char *end;
  long port = strtol(colon + 1, &end, 10);
  if (*end || port < 0 || port > 65535) return -1;
  memset(ss, 0, sizeof *ss);
  if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
    host[hl - 1] = '\0';
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1) return -1;
    *len = sizeof *a6;
    return 0;
  }
  struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
  a4->sin_family = AF_INET;
  a4->sin_port = htons((uint16_t)port);
  if (strcmp(host, "localhost") == 0) snprintf(host, sizeof host, "127.0.0.1");
  if (inet_pton(AF_INET, host, &a4->sin_addr) != 1) return -1;
  *len = sizeof *a4;
  return 0;
}

static void client_ip(struct MHD_Connection *c, char *out, size_t cap) {
  const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  out[0] = '\0';
  if (!ci || !ci->client_addr) return;
  const struct sockaddr *sa = ci->client_addr;
  if (sa->sa_family == AF_INET)
    inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out, (socklen_t)cap);
  else if (sa->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out, (socklen_t)cap);
}

static void make_request_id(struct MHD_Connection *c, char out[40]) {
  const char *given = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Request-Id");
  if (given) {
    size_t n = strlen(given);
    int ok = n >= 8 && n <= 36;
    for (size_t i = 0; ok && i < n; i++) {
      char ch = given[i];
      ok = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '-' ||
           ch == '_';
    }
    if (ok) {
      memcpy(out, given, n + 1);
      return;
    }
  }
  unsigned char raw[12];
  randombytes_buf(raw, sizeof raw);
  sodium_bin2hex(out, 40, raw, sizeof raw);
}

/* Resolves the bearer token into r->who; replies 401/403/503 and returns -1 on failure. */
static int authenticate(req *r, unsigned route_flags) {
  const char *auth = req_header(r, "Authorization");
  if (!auth || strncasecmp(auth, "Bearer ", 7) != 0 || !auth[7]) {
    req_reply_error(r, ERR_unauthenticated, NULL, "log in first: send Authorization: Bearer <token>");
    return -1;
  }
  err e;
  err_clear(&e);
  store_conn *c = store_acquire(r->app->db, &e);
  if (!c) {
    req_reply_err(r, &e);
    return -1;
  }
  store_snapshot(c); /* the queries here and the handler's: one read transaction */
  security_policy pol;
  int rc = policy_load(c, &pol, &e);
  if (rc == 0) rc = session_authenticate(c, auth + 7, &pol, &r->who, &e);
  if (rc != 0) {
    store_release(r->app->db, c);
    req_reply_err(r, &e);
    return -1;
  }
  r->held = c; /* for the handler's req_conn; released after the handler */
  r->authenticated = 1;
  if (r->who.must_change_password && !(route_flags & ROUTE_BEFORE_PASSWORD_CHANGE)) {
    req_reply_error(r, ERR_password_change_required, NULL,
                    "change your password first: POST /api/v1/me/password");
    return -1;
  }
  return 0;
}

static void access_log(const req *r, const char *route_label, int64_t dur_us) {
  char path[512], user[128];
  log_json_escape(r->path, path, sizeof path);
  log_json_escape(r->authenticated ? r->who.username : "", user, sizeof user);
  log_msg(LOG_INFO, "request",
          "\"request_id\":\"%s\",\"ip\":\"%s\",\"user\":\"%s\",\"method\":\"%s\",\"route\":\"%s\","
          "\"path\":\"%s\",\"status\":%u,\"duration_ms\":%.3f",
          r->request_id, r->ip, user, r->method, route_label, path, r->status, (double)dur_us / 1000.0);
}

static enum MHD_Result send_response(struct MHD_Connection *mc, req *r) {
  char *text = NULL;
  size_t len;
  const char *type;
  if (r->raw) {
    text = r->raw;
    len = r->raw_len;
    type = r->raw_type;
    r->raw = NULL;
  } else if (r->out) {
    text = json_text(r->out, NULL);
    if (!text) text = xstrdup("{}");
    len = strlen(text);
    type = "application/json; charset=utf-8";
  } else {
    text = xstrdup("");
    len = 0;
    type = NULL;
  }
  struct MHD_Response *resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
  if (type) MHD_add_response_header(resp, "Content-Type", type);
  MHD_add_response_header(resp, "X-Request-Id", r->request_id);
  MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(resp, "Cache-Control", "no-store");
  for (int i = 0; i < r->nhdr; i++) MHD_add_response_header(resp, r->hdr_names[i], r->hdr_values[i]);
  enum MHD_Result ret = MHD_queue_response(mc, r->status, resp);
  MHD_destroy_response(resp);
  return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *mc, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_size,
                              void **con_cls) {
  conn_ctx *cx = *con_cls;
  if (!cx) {
    cx = xcalloc(1, sizeof *cx);
    sb_init(&cx->body);
    cx->started_us = clock_mono_us();
    *con_cls = cx;
    const char *cl = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Content-Length");
    if (cl && strtoull(cl, NULL, 10) > the_app->body_limit) cx->too_large = 1;
    atomic_fetch_add(&in_flight, 1);
    /* Answering now would make 0.9.75 close the connection, so we wait for the final call —
     * unless the declared body is too large: then refuse at once (and let the connection
     * close) rather than read, or with Expect: 100-continue even invite, a body we discard. */
    if (!cx->too_large) return MHD_YES;
  } else if (cx->answered) {
    *upload_size = 0;
    return MHD_YES;
  } else if (*upload_size) {
    if (!cx->too_large && cx->body.len + *upload_size <= the_app->body_limit) {
      sb_add(&cx->body, upload_data, *upload_size);
    } else {
      /* Past the limit without a Content-Length (chunked). 0.9.75 cannot answer in the middle
       * of a body, so we read on and discard to give the 413 at the end — but only so far:
       * a client still sending at 16 × the limit is cut off. */
      cx->too_large = 1;
      cx->discarded += *upload_size;
      if (cx->discarded / 16 > the_app->body_limit) {
        char ip[64], path[256];
        client_ip(mc, ip, sizeof ip);
        log_json_escape(url, path, sizeof path);
        log_warn("request body far over the limit: connection closed", "\"ip\":\"%s\",\"path\":\"%s\"", ip, path);
        return MHD_NO;
      }
    }
    *upload_size = 0;
    return MHD_YES;
  }
  cx->answered = 1;

  req r;
  memset(&r, 0, sizeof r);
  r.app = the_app;
  r.mhd = mc;
  r.method = method;
  r.path = url;
  r.body = cx->body.buf;
  r.body_len = cx->body.len;
  make_request_id(mc, r.request_id);
  client_ip(mc, r.ip, sizeof r.ip);

  int idx = -1;
  const char *label = "unmatched";
  if (cx->too_large) {
    req_reply_error(&r, ERR_payload_too_large, NULL, "the request body is larger than %zu bytes",
                    the_app->body_limit);
  } else {
    route_result rr = router_match(api_routes, (size_t)api_nroutes, method, url, &r.match);
    if (rr == ROUTE_NOT_FOUND) {
      req_reply_error(&r, ERR_not_found, NULL, "no such endpoint: %s %s", method, url);
    } else if (rr == ROUTE_BAD_METHOD) {
      req_reply_error(&r, ERR_method_not_allowed, NULL, "%s is not allowed on %s (allowed: %s)", method, url,
                      r.match.allow);
      req_add_header(&r, "Allow", r.match.allow);
    } else {
      idx = (int)(r.match.route - api_routes);
      label = r.match.route->pattern;
      while (sem_wait(&handler_slots) != 0) {
      }
      if ((r.match.route->flags & ROUTE_PUBLIC) || authenticate(&r, r.match.route->flags) == 0)
        r.match.route->handler(&r);
      if (r.held) { /* the handler needed no connection, or failed before it asked */
        store_release(r.app->db, r.held);
        r.held = NULL;
      }
      sem_post(&handler_slots);
      if (!r.status) req_reply_error(&r, ERR_internal, NULL, "the handler gave no answer");
    }
  }
  int64_t dur = clock_mono_us() - cx->started_us;
  enum MHD_Result ret = send_response(mc, &r);
  metrics_observe(idx, r.status, dur);
  access_log(&r, label, dur);
  req_release(&r);
  return ret;
}

static void completed(void *cls, struct MHD_Connection *mc, void **con_cls, enum MHD_RequestTerminationCode toe) {
  conn_ctx *cx = *con_cls;
  if (!cx) return;
  sb_release(&cx->body);
  free(cx);
  *con_cls = NULL;
  atomic_fetch_sub(&in_flight, 1);
}

/* libmicrohttpd hands us its own printf format: trusted, but not a literal. */
__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap) {
  char buf[512], esc[600];
  vsnprintf(buf, sizeof buf, fmt, ap);
  size_t n = strlen(buf);
  while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) buf[--n] = '\0';
  log_json_escape(buf, esc, sizeof esc);
  log_msg(LOG_WARN, "libmicrohttpd", "\"detail\":\"%s\"", esc);
}

int server_run(app *a) {
  struct sockaddr_storage ss;
  socklen_t sslen;
  if (parse_listen(a->listen, &ss, &sslen) != 0) {
    log_error("bad listen address", "\"listen\":\"%s\",\"hint\":\"use ADDR:PORT, e.g. 127.0.0.1:8080\"", a->listen);
    return -1;
  }
  the_app = a;
  metrics_init(api_routes, api_nroutes);

  /* Block the stop signals in every thread (MHD's pool inherits this mask) and wait for
   * them here with sigwait: no async-signal-safety puzzles. */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);

  /* One thread per connection rather than a pool of event loops: a handler blocks (on the
   * database, and on group commit until its batch is on disk), and in a pool every other
   * connection of the same loop would wait behind it — with 32 clients most loops sat idle
   * while a few had three requests queued. Threads are cheap next to that; the
   * handler_slots semaphore keeps the work bounded. */
  sem_init(&handler_slots, 0, (unsigned)a->threads);
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL | MHD_USE_ITC |
                   MHD_USE_ERROR_LOG;
  if (ss.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
  struct MHD_Daemon *d = MHD_start_daemon(
      flags, 0, NULL, NULL, handle, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
      MHD_OPTION_THREAD_STACK_SIZE, (size_t)(2u << 20), MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
      MHD_OPTION_CONNECTION_LIMIT, (unsigned)a->max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
      (unsigned)(a->max_connections < 256 ? a->max_connections : 256),
      MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
      MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1, MHD_OPTION_END);
  if (!d) {
    log_error("cannot listen", "\"listen\":\"%s\"", a->listen);
    metrics_free();
    sem_destroy(&handler_slots);
    return -1;
  }
  log_info("listening", "\"listen\":\"%s\",\"db\":\"%s\",\"threads\":%d,\"max_connections\":%d", a->listen,
           store_display_url(a->db), a->threads, a->max_connections);
  if (clock_test_seam_enabled())
    log_warn("test clock seam enabled (UNIOPS_TEST_CLOCK=1): never run production like this", NULL);

  int sig = 0;
  sigwait(&set, &sig);
  log_info("stopping", "\"signal\":%d,\"in_flight\":%d", sig, atomic_load(&in_flight));
  /* Stop accepting, then give requests already being handled time to finish. */
  MHD_quiesce_daemon(d);
  for (int i = 0; i < 1000 && atomic_load(&in_flight) > 0; i++) usleep(10000);
  MHD_stop_daemon(d);
  metrics_free();
  sem_destroy(&handler_slots);
  log_info("stopped", NULL);
  return 0;
}
