/* jsontext.h — compact JSON text of a jansson value, fast.
 *
 * Every record a request changes is serialised at least twice (its audit record and the
 * answer); jansson's json_dumps walks strings one code point at a time and grows its
 * buffer from 16 bytes, which made serialising a work order a sixth of the CPU of creating
 * one. This writer produces the same bytes as json_dumps(v, JSON_COMPACT |
 * JSON_ENCODE_ANY) — same key order (insertion), same escapes (\" \\ \b \f \n \r \t and
 * \u00XX for other control characters, UTF-8 left as is), same integers; real numbers are
 * formatted by jansson itself — so stored audit text and answers do not change form.
 */
#ifndef UNIOPS_JSONTEXT_H
#define UNIOPS_JSONTEXT_H
#include <jansson.h>
#include <stddef.h>

#include "core/strbuf.h"

/* Appends the compact text of v to sb. Returns 0, or -1 when v nests deeper than 512
 * levels (sb then holds a partial text the caller discards). */
int json_text_append(strbuf *sb, const json_t *v);

/* The compact text of v as a heap string (caller frees), or NULL when v is NULL or nests
 * too deep. `len` (may be NULL) receives its length. */
char *json_text(const json_t *v, size_t *len);

#endif
