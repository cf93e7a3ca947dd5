/* sign.c — HMAC-SHA256 signatures for outgoing notifications. */
#include "notify/sign.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/strbuf.h"

static void hmac(const char *key, const char *msg, size_t msglen, unsigned char out[crypto_auth_hmacsha256_BYTES]) {
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, (const unsigned char *)key, strlen(key));
  crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg, msglen);
  crypto_auth_hmacsha256_final(&st, out);
}

void sign_hmac_sha256_hex(const char *key, const char *msg, size_t msglen, char out[65]) {
  unsigned char d[crypto_auth_hmacsha256_BYTES];
  hmac(key, msg, msglen, d);
  sodium_bin2hex(out, 65, d, sizeof d);
}

void sign_hmac_sha256_b64(const char *key, const char *msg, size_t msglen, char out[45]) {
  unsigned char d[crypto_auth_hmacsha256_BYTES];
  hmac(key, msg, msglen, d);
  sodium_bin2base64(out, 45, d, sizeof d, sodium_base64_VARIANT_ORIGINAL);
}

void sign_dingtalk(int64_t ts_ms, const char *secret, char out[96]) {
  strbuf msg;
  sb_init(&msg);
  sb_addf(&msg, "%" PRId64 "\n%s", ts_ms, secret);
  char b64[45];
  sign_hmac_sha256_b64(secret, msg.buf, msg.len, b64);
  sb_release(&msg);
  /* urlencode: base64 uses + / = which must be escaped in a query string */
  size_t o = 0;
  for (const char *p = b64; *p && o + 4 < 96; p++) {
    if (*p == '+' || *p == '/' || *p == '=')
      o += (size_t)snprintf(out + o, 96 - o, "%%%02X", (unsigned char)*p);
    else
      out[o++] = *p;
  }
  out[o] = '\0';
}

void sign_feishu(int64_t ts_s, const char *secret, char out[45]) {
  strbuf key;
  sb_init(&key);
  sb_addf(&key, "%" PRId64 "\n%s", ts_s, secret);
  sign_hmac_sha256_b64(key.buf, "", 0, out);
  sb_release(&key);
}

void sign_webhook(int64_t ts_s, const char *secret, const char *body, char out[72]) {
  strbuf msg;
  sb_init(&msg);
  sb_addf(&msg, "%" PRId64 ".%s", ts_s, body);
  char hex[65];
  sign_hmac_sha256_hex(secret, msg.buf, msg.len, hex);
  sb_release(&msg);
  snprintf(out, 72, "sha256=%s", hex);
}
