/* sign.h — the signatures receivers check: our generic webhook's HMAC-SHA256, DingTalk's
 * and Feishu's robot signing (formats in shared/design/INTEGRATIONS.md). Pure functions. */
#ifndef UNIOPS_SIGN_H
#define UNIOPS_SIGN_H

#include <stddef.h>
#include <stdint.h>

/* Lower-case hex HMAC-SHA256(key, msg) into out (65 bytes). */
void sign_hmac_sha256_hex(const char *key, const char *msg, size_t msglen, char out[65]);
/* Standard base64 of HMAC-SHA256(key, msg) into out (45 bytes). */
void sign_hmac_sha256_b64(const char *key, const char *msg, size_t msglen, char out[45]);
/* DingTalk: urlencode(base64(HMAC-SHA256(key=secret, msg=ts_ms + "\n" + secret))). out: 96 bytes. */
void sign_dingtalk(int64_t ts_ms, const char *secret, char out[96]);
/* Feishu: base64(HMAC-SHA256(key=ts_s + "\n" + secret, msg="")). out: 45 bytes. */
void sign_feishu(int64_t ts_s, const char *secret, char out[45]);
/* Generic webhook: X-Uniops-Signature = "sha256=" + hex HMAC(secret, ts_s + "." + body). out: 72 bytes. */
void sign_webhook(int64_t ts_s, const char *secret, const char *body, char out[72]);

#endif
