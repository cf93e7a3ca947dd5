/* ratelimit.h — in-memory token buckets keyed by strings, and the login throttle built on
 * them (per client address and per attempted account, for POST /api/v1/sessions).
 *
 * A bucket holds up to `burst` tokens and refills at `per_minute` tokens a minute; an event
 * takes one token and is refused while the bucket is empty. Buckets live in a fixed table
 * (RATELIMIT_SLOTS entries, set-associative), so memory is bounded whatever the traffic:
 * when a set is full, a bucket that has refilled completely (it remembers nothing) or else
 * the least recently touched one is evicted. Keys are kept only as SipHash values under a
 * per-process random key: no username is stored, and collisions cannot be aimed at.
 * Time is clock_now_ms() (the test clock moves it); a clock moving back refills nothing.
 * Every function is thread safe (one mutex per limiter; the work under it is tiny).
 */
#ifndef UNIOPS_RATELIMIT_H
#define UNIOPS_RATELIMIT_H

#include <stdint.h>

#define RATELIMIT_SLOTS 4096 /* buckets per limiter: 4096 × 32 bytes */

typedef struct ratelimit ratelimit;

/* A limiter of `burst` (>= 1) events at once and `per_minute` (>= 1) sustained. Never NULL
 * (aborts when memory runs out, like xcalloc). libsodium must be initialised. */
ratelimit *ratelimit_new(unsigned burst, unsigned per_minute);
/* NULL-safe. */
void ratelimit_free(ratelimit *rl);

/* Takes one token for key. Returns 0 when allowed; -1 when refused, with *retry_after_s
 * (may be NULL) the whole seconds until a token is back (>= 1). */
int ratelimit_take(ratelimit *rl, const char *key, int64_t *retry_after_s);
/* Gives back a token taken for key (never beyond the burst): the event turned out not to
 * count. Harmless when the bucket was evicted in between. */
void ratelimit_refund(ratelimit *rl, const char *key);

/* ---- the login throttle ------------------------------------------------------------ */

/* Limits on login attempts (docs/admin.md, "Security defaults"). A successful login gives
 * its tokens back, so only failed attempts use them up: people who type their password
 * right never meet the limits, whereas a script guessing passwords does. */
#define LOGIN_LIMIT_PER_ACCOUNT 10 /* per minute, per username (existing or not) */
#define LOGIN_LIMIT_PER_IP 30      /* per minute, per client address (IPv6: per /64) */

struct req;

/* Before verifying a login for `username` from r->ip: takes a token from the address's and
 * the account's buckets. Returns 0 to go on; otherwise replies 429 too_many_requests with
 * Retry-After and returns -1. The answer is the same whether the account exists or not. */
int ratelimit_login_begin(struct req *r, const char *username);
/* The login succeeded: returns the tokens ratelimit_login_begin took. */
void ratelimit_login_succeeded(struct req *r, const char *username);

/* The bucket key of a client address: IPv4 as it is, IPv6 by its /64 (one customer's
 * allocation), an IPv4-mapped IPv6 address as the IPv4 one. out holds 64 bytes. */
void ratelimit_ip_key(const char *ip, char out[64]);

#endif
