/* password.c — policy checks and bounded argon2id hashing. */
#include "auth/password.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>

static pthread_mutex_t slots_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t slots_cv = PTHREAD_COND_INITIALIZER;
static int slots_used;

int password_init(void) { return sodium_init() < 0 ? -1 : 0; }

int password_check_policy(int min_length, int min_classes, const char *pw, const char *field, err *e) {
  /* length in characters (UTF-8 code points), not bytes: 密码 is two characters */
  size_t len = 0;
  for (const unsigned char *p = (const unsigned char *)pw; *p; p++)
    if ((*p & 0xc0) != 0x80) len++;
  int min = min_length < 8 ? 8 : min_length;
  if (len < (size_t)min)
    return err_set(e, ERR_validation_failed, field, "password must have at least %d characters", min);
  if (strlen(pw) > PASSWORD_MAX_LEN)
    return err_set(e, ERR_validation_failed, field, "password must have at most %d bytes",
                   PASSWORD_MAX_LEN);
  int upper = 0, lower = 0, digit = 0, symbol = 0;
  for (const unsigned char *p = (const unsigned char *)pw; *p; p++) {
    if (*p < 0x20 || *p == 0x7f)
      return err_set(e, ERR_validation_failed, field, "password must not contain control characters");
    if (*p >= 'A' && *p <= 'Z')
      upper = 1;
    else if (*p >= 'a' && *p <= 'z')
      lower = 1;
    else if (*p >= '0' && *p <= '9')
      digit = 1;
    else
      symbol = 1; /* punctuation, space and any non-ASCII character */
  }
  int classes = upper + lower + digit + symbol;
  int need = min_classes < 1 ? 1 : min_classes > 4 ? 4 : min_classes;
  if (classes < need)
    return err_set(e, ERR_validation_failed, field,
                   "password must mix at least %d of: upper case, lower case, digits, symbols", need);
  return 0;
}

static void slot_take(void) {
  pthread_mutex_lock(&slots_mu);
  while (slots_used >= PASSWORD_MAX_CONCURRENT) pthread_cond_wait(&slots_cv, &slots_mu);
  slots_used++;
  pthread_mutex_unlock(&slots_mu);
}

static void slot_give(void) {
  pthread_mutex_lock(&slots_mu);
  slots_used--;
  pthread_cond_signal(&slots_cv);
  pthread_mutex_unlock(&slots_mu);
}

int password_hash(const char *pw, char *out, unsigned cap) {
  if (cap < crypto_pwhash_STRBYTES) return -1;
  slot_take();
  int rc = crypto_pwhash_str(out, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                             crypto_pwhash_MEMLIMIT_INTERACTIVE);
  slot_give();
  return rc == 0 ? 0 : -1;
}

int password_verify(const char *stored, const char *pw) {
  slot_take();
  int rc = crypto_pwhash_str_verify(stored, pw, strlen(pw));
  slot_give();
  return rc == 0;
}
