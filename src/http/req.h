/* req.h — one HTTP request as handlers see it, and the helpers to answer it.
 *
 * The server fills a req, authenticates it, calls the route's handler, then sends what
 * the handler set with req_reply_*(). Handlers never touch libmicrohttpd directly.
 * Error bodies follow ARCHITECTURE.md: {"error":{"code","message","field"}}.
 */
#ifndef UNIOPS_REQ_H
#define UNIOPS_REQ_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/rbac.h"
#include "core/err.h"
#include "http/router.h"
#include "store/store.h"

struct MHD_Connection;
struct app;

#define REQ_MAX_HEADERS 6

typedef struct req {
  struct app *app;
  struct MHD_Connection *mhd; /* NULL in unit tests */
  const char *method;
  const char *path;
  route_match match;
  char request_id[40];
  char ip[64];
  const char *body;
  size_t body_len;
  principal who;
  int authenticated;
  /* the connection authentication read the session with, still in its read snapshot: the
   * handler's req_conn takes it over (one pool round and one read transaction per request) */
  store_conn *held;
  /* response */
  unsigned status;
  json_t *out;        /* JSON body (owned) */
  char *raw;          /* or a raw body (owned) with raw_type */
  size_t raw_len;
  const char *raw_type;
  const char *hdr_names[REQ_MAX_HEADERS];
  char *hdr_values[REQ_MAX_HEADERS]; /* owned */
  int nhdr;
} req;

/* Request header / query argument / path parameter, or NULL. */
const char *req_header(req *r, const char *name);
const char *req_query(req *r, const char *name);
const char *req_param(req *r, const char *name);
/* Visits every query argument (key, value may be NULL). */
void req_each_query(req *r, void (*fn)(void *ctx, const char *key, const char *value), void *ctx);

/* Parses the body as a JSON object (duplicate keys rejected). On failure replies 400
 * with the line/column/position of the error and returns NULL. Caller decrefs. */
json_t *req_json_body(req *r);

/* Replies with body (stolen). */
void req_reply(req *r, unsigned status, json_t *body);
/* Replies {"error":{…}} from e. */
void req_reply_err(req *r, const err *e);
void req_reply_error(req *r, err_code code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Replies with JSON already serialised (json_text): takes ownership of `text`. */
void req_reply_json_text(req *r, unsigned status, char *text);
/* Replies with a raw body of content type `type` (copied). */
void req_reply_raw(req *r, unsigned status, const char *type, const char *body, size_t len);
/* Adds a response header (value copied). */
void req_add_header(req *r, const char *name, const char *value);

/* Authorization: replies 403 "forbidden" and returns SCOPE_NONE when the principal may
 * not do action on resource; else the scope granted. */
data_scope req_require(req *r, const char *resource, const char *action);

/* Path parameter `name` as a positive int64 id; replies 404 and returns 0 when invalid. */
int64_t req_param_id(req *r, const char *name);

/* The If-Match version: replies 428 when missing, 400 when malformed; returns 0 then. */
int64_t req_if_match(req *r);

/* Frees everything the response owns. */
void req_release(req *r);

/* A pooled connection for this request (the one authentication used, when there is one);
 * replies 503 and returns NULL when none. */
store_conn *req_conn(req *r);
void req_conn_done(req *r, store_conn *c);

/* Writes the audit record of a change made by this request (actor, ip, request id). */
int req_audit(req *r, store_conn *c, const char *action, const char *resource, int64_t id,
              const json_t *before, const json_t *after, err *e);

/* The Idempotency-Key header: NULL when absent; "" (after replying 400) when malformed
 * (more than 100 characters or not printable ASCII). */
const char *req_idempotency_key(req *r);
/* Inside the write transaction: when this user already sent `key`, replies with the first
 * answer (409 if it was for another path) and returns 1; 0 when new; -1 on error. */
int req_idempotent_replay(req *r, store_conn *c, const char *key, err *e);
/* Records the answer to `key` in the same transaction as the change. */
int req_idempotent_record(req *r, store_conn *c, const char *key, unsigned status, const json_t *body, err *e);

/* Sets ETag: "<version>" from a record's "version" member. */
void req_etag(req *r, const json_t *record);

#endif
