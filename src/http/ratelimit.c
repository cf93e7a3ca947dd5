/* ratelimit.c — token buckets in a fixed, set-associative table, and the login throttle.
 * See ratelimit.h for the rules. */
#include "http/ratelimit.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/strbuf.h"
#include "http/req.h"

#define WAYS 8 /* buckets compared per lookup: small enough to scan, large enough to keep hot keys */
#define SETS (RATELIMIT_SLOTS / WAYS)

typedef struct bucket {
  uint64_t key;    /* SipHash of the key string, never 0; 0 = free slot */
  uint64_t touched; /* the limiter's tick at the last use: least recently used goes first */
  int64_t last_ms; /* when tokens was last brought up to date */
  double tokens;
} bucket;

struct ratelimit {
  pthread_mutex_t mu;
  double burst, per_ms;
  uint64_t tick; /* counts lookups; milliseconds are too coarse to order them */
  unsigned char hash_key[crypto_shorthash_KEYBYTES];
  bucket slots[RATELIMIT_SLOTS];
};

ratelimit *ratelimit_new(unsigned burst, unsigned per_minute) {
  ratelimit *rl = xcalloc(1, sizeof *rl);
  pthread_mutex_init(&rl->mu, NULL);
  rl->burst = burst ? burst : 1;
  rl->per_ms = (per_minute ? per_minute : 1) / 60000.0;
  crypto_shorthash_keygen(rl->hash_key);
  return rl;
}

void ratelimit_free(ratelimit *rl) {
  if (!rl) return;
  pthread_mutex_destroy(&rl->mu);
  free(rl);
}

static uint64_t key_hash(const ratelimit *rl, const char *key) {
  unsigned char out[crypto_shorthash_BYTES];
  crypto_shorthash(out, (const unsigned char *)key, strlen(key), rl->hash_key);
  uint64_t h;
  memcpy(&h, out, sizeof h);
  return h ? h : 1;
}

/* Tokens the bucket holds at `now` (without storing them). */
static double tokens_at(const ratelimit *rl, const bucket *b, int64_t now) {
  if (now <= b->last_ms) return b->tokens;
  double t = b->tokens + (double)(now - b->last_ms) * rl->per_ms;
  return t > rl->burst ? rl->burst : t;
}

static void refill(const ratelimit *rl, bucket *b, int64_t now) {
  b->tokens = tokens_at(rl, b, now);
  b->last_ms = now; /* also when the clock went back: refill from here on */
}

/* The bucket of hash h, or NULL when it has none and create is 0. A new bucket starts full;
 * its slot is a free one, else one that has refilled completely, else the least recently
 * touched. Called under rl->mu. */
static bucket *find(ratelimit *rl, uint64_t h, int64_t now, int create) {
  bucket *set = &rl->slots[(h % SETS) * WAYS], *victim = NULL;
  rl->tick++;
  for (int i = 0; i < WAYS; i++)
    if (set[i].key == h) {
      set[i].touched = rl->tick;
      return &set[i];
    }
  if (!create) return NULL;
  for (int i = 0; i < WAYS && !victim; i++)
    if (set[i].key == 0 || tokens_at(rl, &set[i], now) >= rl->burst) victim = &set[i];
  if (!victim) {
    victim = &set[0];
    for (int i = 1; i < WAYS; i++)
      if (set[i].touched < victim->touched) victim = &set[i];
  }
  victim->key = h;
  victim->touched = rl->tick;
  victim->last_ms = now;
  victim->tokens = rl->burst;
  return victim;
}

int ratelimit_take(ratelimit *rl, const char *key, int64_t *retry_after_s) {
  uint64_t h = key_hash(rl, key);
  int64_t now = clock_now_ms();
  int rc = 0;
  pthread_mutex_lock(&rl->mu);
  bucket *b = find(rl, h, now, 1);
  refill(rl, b, now);
  if (b->tokens >= 1.0) {
    b->tokens -= 1.0;
  } else {
    rc = -1;
    if (retry_after_s) {
      double ms = (1.0 - b->tokens) / rl->per_ms;
      int64_t s = (int64_t)ceil(ms / 1000.0);
      *retry_after_s = s < 1 ? 1 : s;
    }
  }
  pthread_mutex_unlock(&rl->mu);
  return rc;
}

void ratelimit_refund(ratelimit *rl, const char *key) {
  uint64_t h = key_hash(rl, key);
  int64_t now = clock_now_ms();
  pthread_mutex_lock(&rl->mu);
  bucket *b = find(rl, h, now, 0);
  if (b) {
    refill(rl, b, now);
    b->tokens = b->tokens + 1.0 > rl->burst ? rl->burst : b->tokens + 1.0;
  }
  pthread_mutex_unlock(&rl->mu);
}

/* ---- the login throttle ------------------------------------------------------------ */

static ratelimit *login_by_ip, *login_by_account;
static pthread_once_t login_once = PTHREAD_ONCE_INIT;

static void login_init(void) {
  login_by_ip = ratelimit_new(LOGIN_LIMIT_PER_IP, LOGIN_LIMIT_PER_IP);
  login_by_account = ratelimit_new(LOGIN_LIMIT_PER_ACCOUNT, LOGIN_LIMIT_PER_ACCOUNT);
}

void ratelimit_ip_key(const char *ip, char out[64]) {
  unsigned char a[16];
  if (strchr(ip, ':') && inet_pton(AF_INET6, ip, a) == 1) {
    static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(a, v4mapped, sizeof v4mapped) == 0) {
      inet_ntop(AF_INET, a + 12, out, 64);
      return;
    }
    memset(a + 8, 0, 8);
    char text[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, a, text, sizeof text);
    snprintf(out, 64, "%s/64", text);
    return;
  }
  snprintf(out, 64, "%s", ip);
}

/* The account's key: the username folded to ASCII lower case, so that "Admin" and "admin"
 * share a bucket whichever of them exists. Usernames are at most 256 bytes here (the
 * handler checks); a longer one is cut, which only merges buckets. */
static void account_key(const char *username, char out[300]) {
  size_t n = 0;
  out[n++] = 'a';
  out[n++] = ':';
  for (const char *p = username; *p && n < 299; p++)
    out[n++] = (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : *p;
  out[n] = '\0';
}

static void reply_throttled(req *r, int64_t retry_s) {
  char v[24];
  snprintf(v, sizeof v, "%" PRId64, retry_s);
  req_reply_error(r, ERR_too_many_requests, NULL, "too many login attempts: try again in %" PRId64 " s", retry_s);
  req_add_header(r, "Retry-After", v);
}

int ratelimit_login_begin(req *r, const char *username) {
  pthread_once(&login_once, login_init);
  char ipk[64], acck[300];
  ratelimit_ip_key(r->ip, ipk);
  account_key(username, acck);
  int64_t retry = 0;
  if (ratelimit_take(login_by_ip, ipk, &retry) != 0) {
    reply_throttled(r, retry);
    return -1;
  }
  if (ratelimit_take(login_by_account, acck, &retry) != 0) {
    /* Not this address's doing alone: give its token back, so that colleagues behind the
     * same address are not throttled for one account under attack. */
    ratelimit_refund(login_by_ip, ipk);
    reply_throttled(r, retry);
    return -1;
  }
  return 0;
}

void ratelimit_login_succeeded(req *r, const char *username) {
  pthread_once(&login_once, login_init);
  char ipk[64], acck[300];
  ratelimit_ip_key(r->ip, ipk);
  account_key(username, acck);
  ratelimit_refund(login_by_ip, ipk);
  ratelimit_refund(login_by_account, acck);
}
