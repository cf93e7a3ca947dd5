/* fuzz_query.c — libFuzzer target: the list-query parser (res_query_visit) and list
 * cursors (res_cursor_decode / res_cursor_encode) of src/resource/resource.c.
 *
 * Input: a query string as libmicrohttpd hands it over after decoding: pairs separated by
 * '&', key and value by the first '=' (a key without '=' has a NULL value). Every pair is
 * fed to the parser for the real organisation, user and catalogue descriptors. Checks: a
 * query that parses stays inside res_list_query's bounds (limit 1..200, at most
 * RES_MAX_FILTERS filters, each on a filterable visible field, NUL-terminated values);
 * a failure is a 400 that names its parameter; every cursor that decodes is a positive id
 * that survives encode → decode.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "modules/catalog/catalog.h"
#include "modules/orgs/orgs.h"
#include "modules/users/users.h"
#include "resource/resource.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) \
  do {              \
    if (!(cond)) abort(); \
  } while (0)

/* Parameters a module reads itself (users take ?role=, lists ?org_tree=). */
static const char *const extra_ok[] = {"role", "tree", NULL};

static void check_cursor(const char *s) {
  int64_t id = 0;
  if (res_cursor_decode(s, &id) != 0) return;
  CHECK(id > 0);
  char enc[32];
  res_cursor_encode(id, enc);
  int64_t again = 0;
  CHECK(res_cursor_decode(enc, &again) == 0 && again == id);
}

static void check_query(const resource_desc *d, char *const *keys, char *const *values, size_t n) {
  res_list_query q;
  res_init_list_query(&q);
  err e;
  err_clear(&e);
  res_query_parser p = {.d = d, .q = &q, .e = &e, .failed = 0, .extra_ok = extra_ok};
  for (size_t i = 0; i < n; i++) res_query_visit(&p, keys[i], values[i]);
  if (p.failed) {
    CHECK(e.code == ERR_bad_request && e.msg[0] != '\0');
    return;
  }
  CHECK(q.limit >= 1 && q.limit <= 200);
  CHECK(q.after_id >= 0);
  CHECK(q.nfilters >= 0 && q.nfilters <= RES_MAX_FILTERS);
  CHECK(strnlen(q.q, sizeof q.q) < sizeof q.q);
  for (int i = 0; i < q.nfilters; i++) {
    const field_desc *f = q.filter_fields[i];
    CHECK(f && (f->flags & FF_FILTER) && !(f->flags & FF_HIDDEN) && res_field(d, f->name) == f);
    CHECK(strnlen(q.filter_values[i], sizeof q.filter_values[i]) < sizeof q.filter_values[i]);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 8192) return 0;
  char *buf = malloc(size + 1);
  if (!buf) return 0;
  memcpy(buf, data, size);
  buf[size] = '\0';
  check_cursor(buf);

  /* Split into pairs in place. */
  enum { MAX_PAIRS = 64 };
  char *keys[MAX_PAIRS], *values[MAX_PAIRS];
  size_t n = 0;
  for (char *p = buf; n < MAX_PAIRS;) {
    char *amp = strchr(p, '&');
    if (amp) *amp = '\0';
    char *eq = strchr(p, '=');
    if (eq) *eq = '\0';
    keys[n] = p;
    values[n] = eq ? eq + 1 : NULL;
    if (values[n]) check_cursor(values[n]);
    n++;
    if (!amp) break;
    p = amp + 1;
  }
  check_query(&org_desc, keys, values, n);
  check_query(&user_desc, keys, values, n);
  check_query(&catalog_desc, keys, values, n);

  /* Cursors made from the input's first bytes as an id: the ids a table can hand out. */
  if (size >= 8) {
    uint64_t raw;
    memcpy(&raw, data, sizeof raw);
    int64_t id = (int64_t)(raw % 999999999999999999ULL) + 1; /* 1 .. 10^18 - 1 */
    char enc[32];
    res_cursor_encode(id, enc);
    int64_t again = 0;
    CHECK(res_cursor_decode(enc, &again) == 0 && again == id);
  }
  free(buf);
  return 0;
}
