/* strbuf.c — growable strings and the aborting allocators. */
#include "core/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char empty_buf[1];

void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) abort();
  return p;
}
void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p) abort();
  return p;
}
void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q) abort();
  return q;
}
char *xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = xmalloc(n);
  memcpy(p, s, n);
  return p;
}

void sb_init(strbuf *sb) {
  sb->buf = empty_buf;
  sb->len = sb->cap = 0;
}

void sb_release(strbuf *sb) {
  if (sb->cap) free(sb->buf);
  sb_init(sb);
}

void sb_reset(strbuf *sb) {
  sb->len = 0;
  if (sb->cap) sb->buf[0] = '\0';
}

static void grow(strbuf *sb, size_t extra) {
  if (sb->len + extra + 1 <= sb->cap) return;
  size_t cap = sb->cap ? sb->cap : 64;
  while (cap < sb->len + extra + 1) cap *= 2;
  if (sb->cap) {
    sb->buf = xrealloc(sb->buf, cap);
  } else {
    sb->buf = xmalloc(cap);
    sb->buf[0] = '\0';
  }
  sb->cap = cap;
}

void sb_add(strbuf *sb, const char *s, size_t n) {
  grow(sb, n);
  memcpy(sb->buf + sb->len, s, n);
  sb->len += n;
  sb->buf[sb->len] = '\0';
}

void sb_adds(strbuf *sb, const char *s) { sb_add(sb, s, strlen(s)); }
void sb_addc(strbuf *sb, char c) { sb_add(sb, &c, 1); }

void sb_addf(strbuf *sb, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  grow(sb, (size_t)n);
  va_start(ap, fmt);
  vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  sb->len += (size_t)n;
}

char *sb_detach(strbuf *sb) {
  char *r = sb->cap ? sb->buf : xstrdup("");
  sb_init(sb);
  return r;
}

size_t fmt_int64(char out[24], int64_t v) {
  char tmp[24], *p = tmp + sizeof tmp;
  uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  do {
    *--p = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0) *--p = '-';
  size_t n = (size_t)(tmp + sizeof tmp - p);
  memcpy(out, p, n);
  return n;
}

void sb_add_int64(strbuf *sb, int64_t v) {
  char buf[24];
  sb_add(sb, buf, fmt_int64(buf, v));
}
