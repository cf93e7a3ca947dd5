/* deliver.h — sending one outbox item over HTTP(S) with libcurl, in the receiver's
 * format: our generic signed webhook, or a WeCom / DingTalk / Feishu group robot. */
#ifndef UNIOPS_DELIVER_H
#define UNIOPS_DELIVER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "notify/outbox.h"

/* Call once at start (curl_global_init). */
void deliver_init(void);
void deliver_cleanup(void);

/* Sends it; 0 when the receiver acknowledged (2xx, and errcode/code 0 for robots),
 * else -1 with a short reason in err (never containing the URL or secret). */
int deliver_send(const outbox_item *it, char *err, size_t cap);

/* Messages per minute a receiver kind accepts (WeCom and DingTalk robots 20, Feishu 100;
 * 0: no limit). */
int deliver_limit_per_minute(const char *kind);

/* The human text of an event, as robots show it (one line, Chinese). Caller frees. */
char *deliver_render_text(const json_t *payload);
/* The JSON body for a robot kind ("wecom", "dingtalk", "feishu") at time now_ms, signed
 * when a secret is given (Feishu: in the body). Caller frees. */
char *deliver_robot_body(const char *kind, const char *text, const char *secret, int64_t now_ms);

#endif
