/* err.c — the error struct helpers and the code → name/status tables. */
#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const code_names[] = {
#define X(name, status) #name,
    ERR_CODES(X)
#undef X
};

static const int code_status[] = {
#define X(name, status) status,
    ERR_CODES(X)
#undef X
};

int err_set(err *e, err_code code, const char *field, const char *fmt, ...) {
  if (!e) return -1;
  e->code = code;
  snprintf(e->field, sizeof e->field, "%s", field ? field : "");
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->msg, sizeof e->msg, fmt, ap);
  va_end(ap);
  return -1;
}

void err_clear(err *e) {
  if (!e) return;
  e->code = ERR_ok;
  e->field[0] = '\0';
  e->msg[0] = '\0';
}

const char *err_code_name(err_code code) {
  return (unsigned)code < ERR__COUNT ? code_names[code] : "internal";
}

int err_http_status(err_code code) {
  return (unsigned)code < ERR__COUNT ? code_status[code] : 500;
}
