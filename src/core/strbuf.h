/* strbuf.h — a growable string (after git's strbuf).
 *
 * Invariants: `buf` is never NULL and always NUL-terminated; `len` excludes the NUL.
 * Verbs: sb_init, sb_add*, sb_reset (empty, keep memory), sb_release (free, re-init),
 * sb_detach (hand the heap string to the caller). Allocation failure aborts.
 */
#ifndef UNIOPS_STRBUF_H
#define UNIOPS_STRBUF_H
#include <stddef.h>
#include <stdint.h>

typedef struct strbuf {
  char *buf;
  size_t len, cap;
} strbuf;

void sb_init(strbuf *sb);
void sb_release(strbuf *sb);
void sb_reset(strbuf *sb);
void sb_add(strbuf *sb, const char *s, size_t n);
void sb_adds(strbuf *sb, const char *s);
void sb_addc(strbuf *sb, char c);
void sb_addf(strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes the decimal digits of v (no NUL) into out and returns how many: by hand, because
 * snprintf showed up in profiles of the hot paths that format ids and instants. */
size_t fmt_int64(char out[24], int64_t v);
/* Appends the decimal digits of v. */
void sb_add_int64(strbuf *sb, int64_t v);
/* Returns the heap string (caller frees) and re-initialises sb. */
char *sb_detach(strbuf *sb);

/* Calls abort() on allocation failure; never returns NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

#endif
