/* router.h — the method + path-pattern table that maps requests to handlers.
 *
 * Patterns are literal segments and `{name}` captures, e.g. "/api/v1/orgs/{id}".
 * Matching is exact per segment (no prefixes, no trailing-slash tolerance), so every
 * route has one spelling. A path that matches a pattern under another method gives 405.
 * Pure: no I/O, testable on its own.
 */
#ifndef UNIOPS_ROUTER_H
#define UNIOPS_ROUTER_H

#include <stddef.h>

#define ROUTER_MAX_PARAMS 4
#define ROUTER_MAX_PARAM_LEN 128

/* No session needed (health, login). */
#define ROUTE_PUBLIC 1u
/* Reachable by a user who must still change the password (me, logout, password change). */
#define ROUTE_BEFORE_PASSWORD_CHANGE 2u

struct req;
typedef void (*route_handler)(struct req *r);

typedef struct route {
  const char *method;   /* "GET", "POST", "PATCH", "PUT", "DELETE" */
  const char *pattern;  /* also the route label in metrics and logs */
  route_handler handler;
  unsigned flags;       /* ROUTE_PUBLIC, ROUTE_BEFORE_PASSWORD_CHANGE */
} route;

typedef struct route_match {
  const route *route;
  int nparams;
  const char *names[ROUTER_MAX_PARAMS]; /* point into the pattern, not NUL-terminated at '}' */
  size_t name_lens[ROUTER_MAX_PARAMS];
  char values[ROUTER_MAX_PARAMS][ROUTER_MAX_PARAM_LEN];
  char allow[64]; /* on ROUTE_BAD_METHOD: the methods the path has, e.g. "GET, POST" */
} route_match;

typedef enum { ROUTE_FOUND, ROUTE_NOT_FOUND, ROUTE_BAD_METHOD } route_result;

/* Finds the route for method + path (path without the query string). */
route_result router_match(const route *table, size_t n, const char *method, const char *path,
                          route_match *m);
/* The captured value named `name`, or NULL. */
const char *route_param(const route_match *m, const char *name);

#endif
