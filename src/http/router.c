/* router.c — segment-by-segment matching of request paths against route patterns. */
#include "http/router.h"

#include <stdio.h>
#include <string.h>

/* Matches one pattern; fills m's params on success. Returns 1 on match. */
static int match_pattern(const char *pat, const char *path, route_match *m) {
  m->nparams = 0;
  const char *p = pat, *s = path;
  while (*p && *s) {
    if (*p != '/' || *s != '/') return 0;
    p++;
    s++;
    const char *pe = strchr(p, '/');
    const char *se = strchr(s, '/');
    size_t plen = pe ? (size_t)(pe - p) : strlen(p);
    size_t slen = se ? (size_t)(se - s) : strlen(s);
    if (plen >= 2 && p[0] == '{' && p[plen - 1] == '}') {
      if (slen == 0 || slen >= ROUTER_MAX_PARAM_LEN || m->nparams >= ROUTER_MAX_PARAMS) return 0;
      m->names[m->nparams] = p + 1;
      m->name_lens[m->nparams] = plen - 2;
      memcpy(m->values[m->nparams], s, slen);
      m->values[m->nparams][slen] = '\0';
      m->nparams++;
    } else if (plen != slen || memcmp(p, s, plen) != 0) {
      return 0;
    }
    p += plen;
    s += slen;
  }
  return *p == '\0' && *s == '\0';
}

route_result router_match(const route *table, size_t n, const char *method, const char *path,
                          route_match *m) {
  int path_known = 0;
  char allow[sizeof m->allow] = "";
  for (size_t i = 0; i < n; i++) {
    if (!match_pattern(table[i].pattern, path, m)) continue;
    if (strcmp(table[i].method, method) == 0) {
      m->route = &table[i];
      m->allow[0] = '\0';
      return ROUTE_FOUND;
    }
    path_known = 1;
    size_t used = strlen(allow);
    if (used + strlen(table[i].method) + 3 < sizeof allow)
      snprintf(allow + used, sizeof allow - used, "%s%s", used ? ", " : "", table[i].method);
  }
  memcpy(m->allow, allow, sizeof allow);
  m->route = NULL;
  m->nparams = 0;
  return path_known ? ROUTE_BAD_METHOD : ROUTE_NOT_FOUND;
}

const char *route_param(const route_match *m, const char *name) {
  size_t len = strlen(name);
  for (int i = 0; i < m->nparams; i++)
    if (m->name_lens[i] == len && memcmp(m->names[i], name, len) == 0) return m->values[i];
  return NULL;
}
