/* password.h — password policy and argon2id hashing (libsodium crypto_pwhash_str).
 *
 * Hashing costs ≈ 0.1 s and 64 MiB at libsodium's interactive setting, so at most
 * PASSWORD_MAX_CONCURRENT hashes run at once; other callers wait their turn.
 */
#ifndef UNIOPS_PASSWORD_H
#define UNIOPS_PASSWORD_H

#include "core/err.h"

#define PASSWORD_MAX_LEN 128
#define PASSWORD_MAX_CONCURRENT 2

/* Checks pw: at least min_length (never below 8) characters, mixing at least min_classes
 * of upper case, lower case, digits and symbols (anything else, non-ASCII included).
 * ERR_validation_failed on `field` with the reason. */
int password_check_policy(int min_length, int min_classes, const char *pw, const char *field, err *e);
/* Hashes pw into out (crypto_pwhash_STRBYTES). 0 or -1 (out of memory). */
int password_hash(const char *pw, char *out, unsigned cap);
/* 1 when pw matches the stored hash, 0 otherwise. */
int password_verify(const char *stored, const char *pw);
/* Initialises libsodium; call once at start. 0 or -1. */
int password_init(void);

#endif
