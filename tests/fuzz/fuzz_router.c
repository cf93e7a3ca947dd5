/* fuzz_router.c — libFuzzer target: router_match (src/http/router.c) over the real route
 * table (src/http/routes.c) with an arbitrary method and path.
 *
 * Input: "METHOD PATH" (split at the first space; without a space the whole input is a GET
 * path). Beyond "no crash", it checks what the router promises in router.h: a match
 * rebuilds the exact path from its pattern and captures, captures are non-empty, bounded and
 * free of '/', 405 only when another method has the path, and 404 leaves nothing behind.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/router.h"
#include "http/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) \
  do {              \
    if (!(cond)) abort(); \
  } while (0)

/* Rebuilds the path a found route was matched against: the pattern with every {name}
 * replaced by its capture. Returns 0 when it fits in out. */
static int rebuild(const route_match *m, char *out, size_t cap) {
  const char *p = m->route->pattern;
  size_t n = 0;
  int k = 0;
  while (*p) {
    if (*p == '{') {
      const char *close = strchr(p, '}');
      CHECK(close && k < m->nparams);
      CHECK((size_t)(close - p - 1) == m->name_lens[k] && m->names[k] == p + 1);
      size_t vl = strlen(m->values[k]);
      if (n + vl >= cap) return -1;
      memcpy(out + n, m->values[k], vl);
      n += vl;
      k++;
      p = close + 1;
      continue;
    }
    if (n + 1 >= cap) return -1;
    out[n++] = *p++;
  }
  CHECK(k == m->nparams);
  out[n] = '\0';
  return 0;
}

/* Does any route with this method match the path? (A slow, independent answer.) */
static int method_has_path(const char *method, const char *path) {
  for (int i = 0; i < api_nroutes; i++) {
    if (strcmp(api_routes[i].method, method) != 0) continue;
    route_match m;
    if (router_match(&api_routes[i], 1, method, path, &m) == ROUTE_FOUND) return 1;
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 4096) return 0;
  char *buf = malloc(size + 1);
  if (!buf) return 0;
  memcpy(buf, data, size);
  buf[size] = '\0';
  const char *method = "GET", *path = buf;
  char *space = memchr(buf, ' ', size);
  if (space) {
    *space = '\0';
    method = buf;
    path = space + 1;
  }

  route_match m;
  memset(&m, 0xa5, sizeof m); /* the router must not rely on a zeroed match */
  route_result rr = router_match(api_routes, (size_t)api_nroutes, method, path, &m);
  switch (rr) {
    case ROUTE_FOUND: {
      CHECK(m.route && strcmp(m.route->method, method) == 0);
      CHECK(m.nparams >= 0 && m.nparams <= ROUTER_MAX_PARAMS);
      for (int i = 0; i < m.nparams; i++) {
        size_t vl = strnlen(m.values[i], ROUTER_MAX_PARAM_LEN);
        CHECK(vl > 0 && vl < ROUTER_MAX_PARAM_LEN && !strchr(m.values[i], '/'));
        char name[64];
        CHECK(m.name_lens[i] < sizeof name);
        memcpy(name, m.names[i], m.name_lens[i]);
        name[m.name_lens[i]] = '\0';
        CHECK(route_param(&m, name) != NULL);
      }
      char again[4096 + 1];
      CHECK(rebuild(&m, again, sizeof again) == 0 && strcmp(again, path) == 0);
      break;
    }
    case ROUTE_BAD_METHOD:
      CHECK(m.route == NULL && m.nparams == 0);
      CHECK(strnlen(m.allow, sizeof m.allow) < sizeof m.allow && m.allow[0] != '\0');
      CHECK(!method_has_path(method, path));
      break;
    case ROUTE_NOT_FOUND:
      CHECK(m.route == NULL && m.nparams == 0 && m.allow[0] == '\0');
      CHECK(!method_has_path(method, path));
      break;
  }
  free(buf);
  return 0;
}
