/* fuzz_json_validate.c — libFuzzer target: request bodies through jansson (as req.c parses
 * them: JSON_REJECT_DUPLICATES) and res_validate (src/resource/resource.c), for creates and
 * patches of the real organisation, user and catalogue descriptors and of a local one that
 * has every field type.
 *
 * Beyond "no crash", an accepted body is checked against the descriptor independently:
 * every key is known and allowed in that mode, every value has its type and bounds, every
 * required field is there on create. A rejected body is a 400 with a message.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "modules/catalog/catalog.h"
#include "modules/orgs/orgs.h"
#include "modules/users/users.h"
#include "resource/resource.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) \
  do {              \
    if (!(cond)) abort(); \
  } while (0)

static const char *const colours[] = {"red", "green", NULL};
static const field_desc all_types_fields[] = {
    {"name", FT_TEXT, FF_REQUIRED | FF_PATCH | FF_SEARCH, 2, 10, NULL, NULL},
    {"colour", FT_ENUM, FF_REQUIRED | FF_FILTER, 0, 0, colours, NULL},
    {"size", FT_INT, FF_CREATE | FF_PATCH | FF_FILTER, -5, 100, NULL, NULL},
    {"flag", FT_BOOL, FF_CREATE, 0, 0, NULL, NULL},
    {"parent_id", FT_REF, FF_CREATE | FF_NULLABLE, 0, 0, NULL, "things"},
    {"due_at", FT_TIME, FF_CREATE | FF_PATCH, 0, 0, NULL, NULL},
    {"note", FT_TEXT, FF_CREATE | FF_PATCH | FF_NULLABLE, 0, 0, NULL, NULL},
    {"secret", FT_TEXT, FF_HIDDEN, 0, 0, NULL, NULL},
    {"computed", FT_INT, 0, 0, 0, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};
static const resource_desc all_types = {"thing", "things", all_types_fields, "org_id"};

/* The keys the user and org handlers take besides the descriptor's fields. */
static const char *const extra[] = {"roles", "password", NULL};

static int listed(const char *const *list, const char *s) {
  for (; list && *list; list++)
    if (strcmp(*list, s) == 0) return 1;
  return 0;
}

static size_t code_points(const char *s) {
  size_t n = 0;
  for (; *s; s++)
    if (((unsigned char)*s & 0xc0) != 0x80) n++;
  return n;
}

/* Would this accepted value really have been acceptable? An oracle written apart from
 * resource.c's check_value. */
static void check_accepted_value(const field_desc *f, const json_t *v) {
  if (json_is_null(v)) {
    CHECK(f->flags & FF_NULLABLE);
    return;
  }
  switch (f->type) {
    case FT_TEXT: {
      CHECK(json_is_string(v));
      const char *s = json_string_value(v);
      CHECK(strlen(s) == json_string_length(v));
      int64_t n = (int64_t)code_points(s);
      CHECK(n >= f->min && (!f->max || n <= f->max));
      for (const unsigned char *p = (const unsigned char *)s; *p; p++) CHECK(*p >= 0x20 || *p == '\n' || *p == '\t');
      break;
    }
    case FT_INT:
      CHECK(json_is_integer(v) && json_integer_value(v) >= f->min && json_integer_value(v) <= f->max);
      break;
    case FT_BOOL: CHECK(json_is_boolean(v)); break;
    case FT_ENUM: CHECK(json_is_string(v) && listed(f->enums, json_string_value(v))); break;
    case FT_REF: CHECK(json_is_integer(v) && json_integer_value(v) > 0); break;
    case FT_TIME: {
      int64_t ms;
      CHECK(json_is_string(v) && time_parse_rfc3339(json_string_value(v), &ms) == 0);
      break;
    }
  }
}

static void check_one(const resource_desc *d, const json_t *body, int creating, const char *const *extra_ok) {
  err e;
  err_clear(&e);
  int rc = res_validate(d, body, creating, extra_ok, &e);
  if (rc != 0) {
    CHECK(rc == -1);
    CHECK(e.code == ERR_validation_failed || e.code == ERR_unknown_field);
    CHECK(e.msg[0] != '\0');
    return;
  }
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)body, key, v) {
    if (listed(extra_ok, key)) continue;
    const field_desc *f = res_field(d, key);
    CHECK(f && !(f->flags & FF_HIDDEN));
    CHECK(creating ? (f->flags & (FF_CREATE | FF_REQUIRED)) != 0 : (f->flags & FF_PATCH) != 0);
    check_accepted_value(f, v);
  }
  if (creating)
    for (const field_desc *f = d->fields; f->name; f++)
      if (f->flags & FF_REQUIRED) CHECK(json_object_get(body, f->name) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 16384) return 0;
  json_error_t je;
  json_t *body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
  if (!body) return 0;
  if (json_is_object(body)) {
    const resource_desc *descs[] = {&org_desc, &user_desc, &catalog_desc, &all_types};
    for (size_t i = 0; i < sizeof descs / sizeof descs[0]; i++)
      for (int creating = 0; creating <= 1; creating++) {
        check_one(descs[i], body, creating, NULL);
        check_one(descs[i], body, creating, extra);
      }
  }
  json_decref(body);
  return 0;
}
