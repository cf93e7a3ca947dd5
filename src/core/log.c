/* log.c — JSON-lines logger on stderr. */
#include "core/log.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"

static log_level min_level = LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_set_level(log_level lvl) { min_level = lvl; }

void log_init_from_env(void) {
  const char *v = getenv("UNIOPS_LOG_LEVEL");
  if (!v) return;
  for (int i = 0; i < 4; i++)
    if (strcasecmp(v, level_names[i]) == 0) min_level = (log_level)i;
}

void log_json_escape(const char *s, char *out, unsigned cap) {
  unsigned o = 0;
  if (cap == 0) return;
  for (; s && *s && o + 7 < cap; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      out[o++] = '\\';
      out[o++] = (char)c;
    } else if (c < 0x20) {
      o += (unsigned)snprintf(out + o, cap - o, "\\u%04x", c);
    } else {
      out[o++] = (char)c;
    }
  }
  out[o] = '\0';
}

void log_msg(log_level lvl, const char *msg, const char *fmt, ...) {
  if (lvl < min_level) return;
  char line[4096], emsg[512];
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  time_parts tm; /* not gmtime_r: its lock is shared by every thread */
  time_split_utc((int64_t)ts.tv_sec, &tm);
  log_json_escape(msg, emsg, sizeof emsg);
  int n = snprintf(line, sizeof line,
                   "{\"ts\":\"%04" PRId64 "-%02d-%02dT%02d:%02d:%02d.%03ldZ\",\"level\":\"%s\",\"msg\":\"%s\"",
                   tm.year, tm.month, tm.day, tm.hour, tm.minute, tm.second, ts.tv_nsec / 1000000,
                   level_names[lvl], emsg);
  if (fmt && n > 0 && (size_t)n < sizeof line - 2) {
    line[n++] = ',';
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    if (m > 0) n += m;
  }
  if (n < 0) return;
  if ((size_t)n > sizeof line - 3) n = (int)sizeof line - 3;
  line[n++] = '}';
  line[n++] = '\n';
  ssize_t w = write(STDERR_FILENO, line, (size_t)n);
  (void)w;
}
