/* log.h — structured logs on stderr, one JSON object per line (easy for a log shipper).
 *
 * Every line has "ts" (RFC 3339, UTC), "level" and "msg"; extra key/values are
 * given as a printf-formatted fragment of JSON members. Thread safe (one write(2) per line).
 */
#ifndef UNIOPS_LOG_H
#define UNIOPS_LOG_H

typedef enum { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR } log_level;

/* Minimum level printed (default LOG_INFO; UNIOPS_LOG_LEVEL=debug|info|warn|error). */
void log_set_level(log_level lvl);
void log_init_from_env(void);

/* Writes {"ts":…,"level":…,"msg":msg,…} where the members come from fmt (without braces),
 * e.g. log_msg(LOG_INFO, "listening", "\"addr\":\"%s\"", addr). fmt may be NULL. */
void log_msg(log_level lvl, const char *msg, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define log_info(msg, ...) log_msg(LOG_INFO, msg, __VA_ARGS__)
#define log_warn(msg, ...) log_msg(LOG_WARN, msg, __VA_ARGS__)
#define log_error(msg, ...) log_msg(LOG_ERROR, msg, __VA_ARGS__)

/* Escapes s as the inside of a JSON string into out (always NUL-terminated, truncated to cap). */
void log_json_escape(const char *s, char *out, unsigned cap);

#endif
