/* err.h — error codes shared by every layer, each mapped to one HTTP status.
 *
 * Fallible functions return 0 on success and -1 on failure, filling a
 * caller-owned `err`. The code decides the HTTP status; `field` names the
 * offending input field (may be empty) and `msg` is a human sentence.
 */
#ifndef UNIOPS_ERR_H
#define UNIOPS_ERR_H

/* X(name, http_status) — the single list of error codes. */
#define ERR_CODES(X)                 \
  X(ok, 200)                         \
  X(bad_request, 400)                \
  X(malformed_json, 400)             \
  X(validation_failed, 400)          \
  X(unknown_field, 400)              \
  X(unauthenticated, 401)            \
  X(password_change_required, 403)   \
  X(forbidden, 403)                  \
  X(not_found, 404)                  \
  X(method_not_allowed, 405)         \
  X(conflict, 409)                   \
  X(version_conflict, 409)           \
  X(invalid_transition, 409)         \
  X(precondition_required, 428)      \
  X(payload_too_large, 413)          \
  X(account_locked, 423)             \
  X(too_many_requests, 429)          \
  X(internal, 500)                   \
  X(unavailable, 503)

typedef enum {
#define X(name, status) ERR_##name,
  ERR_CODES(X)
#undef X
  ERR__COUNT
} err_code;

typedef struct err {
  err_code code;
  char field[64];
  char msg[256];
} err;

/* Sets *e (if e is non-NULL) and returns -1, so callers can `return err_set(...)`. */
int err_set(err *e, err_code code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Resets *e to ERR_ok with empty field and message. */
void err_clear(err *e);
/* The snake_case name of a code, e.g. "validation_failed". */
const char *err_code_name(err_code code);
/* The HTTP status a code maps to. */
int err_http_status(err_code code);

#endif
