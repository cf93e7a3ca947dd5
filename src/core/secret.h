/* secret.h — encryption at rest for credentials (webhook URLs and signing secrets).
 *
 * XSalsa20-Poly1305 (libsodium secretbox) under one 32-byte key: UNIOPS_SECRET_KEY (64 hex
 * digits) when set — required when several instances share a PostgreSQL — else the file
 * var/secret.key, created (mode 0600) on first use. Stored form: "sb1:" + base64(nonce|box).
 */
#ifndef UNIOPS_SECRET_H
#define UNIOPS_SECRET_H

#include "core/err.h"

/* Loads or creates the key; call once at start. 0 or -1 (e filled). */
int secret_init(err *e);
/* Encrypts plain; returns a heap string (caller frees). */
char *secret_seal(const char *plain);
/* Decrypts a sealed string; heap string or NULL when it does not open (wrong key, edited). */
char *secret_open(const char *sealed);
/* A display form that never reveals the secret: "https://oapi.dingtalk.com/…(redacted)". */
char *secret_redact_url(const char *url);

#endif
