/* jsontext.c — compact JSON text of jansson values (see jsontext.h for why and what). */
#include "core/jsontext.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 512

/* Bytes that cannot appear raw inside a JSON string: the quote, the backslash and the
 * control characters. jansson guarantees valid UTF-8, so every other byte is copied. */
static int needs_escape(unsigned char ch) { return ch < 0x20 || ch == '"' || ch == '\\'; }

static void add_string(strbuf *sb, const char *s, size_t n) {
  static const char hex[] = "0123456789ABCDEF";
  sb_addc(sb, '"');
  size_t run = 0; /* start of the bytes not yet copied */
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (!needs_escape(ch)) continue;
    sb_add(sb, s + run, i - run);
    run = i + 1;
    switch (ch) {
    case '"': sb_add(sb, "\\\"", 2); break;
    case '\\': sb_add(sb, "\\\\", 2); break;
    case '\b': sb_add(sb, "\\b", 2); break;
    case '\f': sb_add(sb, "\\f", 2); break;
    case '\n': sb_add(sb, "\\n", 2); break;
    case '\r': sb_add(sb, "\\r", 2); break;
    case '\t': sb_add(sb, "\\t", 2); break;
    default: {
      char u[6] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15]};
      sb_add(sb, u, sizeof u);
    }
    }
  }
  sb_add(sb, s + run, n - run);
  sb_addc(sb, '"');
}

/* jansson's iteration functions take a non-const object though they only read it; the
 * copy through memcpy says so without a qualifier-dropping cast. */
static json_t *readonly_object(const json_t *v) {
  json_t *o;
  memcpy(&o, &v, sizeof o);
  return o;
}

static int add_value(strbuf *sb, const json_t *v, int depth) {
  if (depth > MAX_DEPTH) return -1;
  switch (json_typeof(v)) {
  case JSON_OBJECT: {
    sb_addc(sb, '{');
    int first = 1;
    json_t *o = readonly_object(v);
    for (void *it = json_object_iter(o); it; it = json_object_iter_next(o, it)) {
      if (!first) sb_addc(sb, ',');
      first = 0;
      add_string(sb, json_object_iter_key(it), json_object_iter_key_len(it));
      sb_addc(sb, ':');
      if (add_value(sb, json_object_iter_value(it), depth + 1) != 0) return -1;
    }
    sb_addc(sb, '}');
    return 0;
  }
  case JSON_ARRAY: {
    sb_addc(sb, '[');
    size_t n = json_array_size(v);
    for (size_t i = 0; i < n; i++) {
      if (i) sb_addc(sb, ',');
      if (add_value(sb, json_array_get(v, i), depth + 1) != 0) return -1;
    }
    sb_addc(sb, ']');
    return 0;
  }
  case JSON_STRING: add_string(sb, json_string_value(v), json_string_length(v)); return 0;
  case JSON_INTEGER: sb_add_int64(sb, json_integer_value(v)); return 0;
  case JSON_REAL: {
    /* jansson's own formatting (shortest round-trip, ".0" added), so both agree */
    char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!t) return -1;
    sb_adds(sb, t);
    free(t);
    return 0;
  }
  case JSON_TRUE: sb_add(sb, "true", 4); return 0;
  case JSON_FALSE: sb_add(sb, "false", 5); return 0;
  case JSON_NULL: sb_add(sb, "null", 4); return 0;
  }
  return -1;
}

int json_text_append(strbuf *sb, const json_t *v) { return add_value(sb, v, 0); }

char *json_text(const json_t *v, size_t *len) {
  if (!v) return NULL;
  strbuf sb;
  sb_init(&sb);
  if (add_value(&sb, v, 0) != 0) {
    sb_release(&sb);
    return NULL;
  }
  if (len) *len = sb.len;
  return sb_detach(&sb);
}
