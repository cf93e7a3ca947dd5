/* deliver.c — the HTTP side of notifications (libcurl, 10 s timeout, no redirects). */
#include "notify/deliver.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/strbuf.h"
#include "notify/sign.h"

void deliver_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }
void deliver_cleanup(void) { curl_global_cleanup(); }

int deliver_limit_per_minute(const char *kind) {
  if (!strcmp(kind, "wecom") || !strcmp(kind, "dingtalk")) return 20;
  if (!strcmp(kind, "feishu")) return 100;
  return 0;
}

char *deliver_render_text(const json_t *p) {
  strbuf sb;
  sb_init(&sb);
  const char *event = json_string_value(json_object_get(p, "event"));
  const char *actor = json_string_value(json_object_get(p, "actor"));
  const char *res_id = json_string_value(json_object_get(p, "resource_id"));
  const char *at = json_string_value(json_object_get(p, "occurred_at"));
  sb_addf(&sb, "【uniops】%s #%s，操作人 %s，时间 %s", event ? event : "?", res_id ? res_id : "",
          actor && *actor ? actor : "系统", at ? at : "");
  return sb_detach(&sb);
}

char *deliver_robot_body(const char *kind, const char *text, const char *secret, int64_t now_ms) {
  json_t *b;
  if (strcmp(kind, "wecom") == 0) {
    /* WeCom text is limited to 2048 bytes */
    char cut[2048];
    snprintf(cut, sizeof cut, "%s", text);
    b = json_pack("{s:s, s:{s:s}}", "msgtype", "text", "text", "content", cut);
  } else if (strcmp(kind, "dingtalk") == 0) {
    b = json_pack("{s:s, s:{s:s}, s:{s:[], s:b}}", "msgtype", "text", "text", "content", text, "at", "atMobiles",
                  "isAtAll", 0);
  } else {
    b = json_pack("{s:s, s:{s:s}}", "msg_type", "text", "content", "text", text);
    if (secret) {
      char sig[45], ts[24];
      snprintf(ts, sizeof ts, "%" PRId64, now_ms / 1000);
      sign_feishu(now_ms / 1000, secret, sig);
      json_object_set_new(b, "timestamp", json_string(ts));
      json_object_set_new(b, "sign", json_string(sig));
    }
  }
  char *out = json_dumps(b, JSON_COMPACT);
  json_decref(b);
  return out;
}

static size_t collect(char *ptr, size_t size, size_t nmemb, void *ud) {
  strbuf *sb = ud;
  size_t n = size * nmemb;
  if (sb->len + n < 65536) sb_add(sb, ptr, n);
  return n;
}

int deliver_send(const outbox_item *it, char *errbuf, size_t cap) {
  int64_t now = clock_now_ms();
  strbuf url, resp;
  sb_init(&url);
  sb_init(&resp);
  char *body = NULL;
  struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json; charset=utf-8");
  int rc = -1;
  if (!it->url) {
    snprintf(errbuf, cap, "the stored URL cannot be decrypted (secret key changed?)");
    goto out;
  }
  sb_adds(&url, it->url);
  char h[160];
  if (strcmp(it->kind, "webhook") == 0) {
    body = xstrdup(it->payload);
    snprintf(h, sizeof h, "X-Uniops-Delivery: %s", it->delivery_id);
    hdrs = curl_slist_append(hdrs, h);
    snprintf(h, sizeof h, "X-Uniops-Event: %s", it->event);
    hdrs = curl_slist_append(hdrs, h);
    snprintf(h, sizeof h, "X-Uniops-Timestamp: %" PRId64, now / 1000);
    hdrs = curl_slist_append(hdrs, h);
    if (it->secret) {
      char sig[72];
      sign_webhook(now / 1000, it->secret, body, sig);
      snprintf(h, sizeof h, "X-Uniops-Signature: %s", sig);
      hdrs = curl_slist_append(hdrs, h);
    }
  } else {
    json_t *p = json_loads(it->payload, 0, NULL);
    char *text = deliver_render_text(p);
    json_decref(p);
    body = deliver_robot_body(it->kind, text, it->secret, now);
    free(text);
    if (strcmp(it->kind, "dingtalk") == 0 && it->secret) {
      char sig[96];
      sign_dingtalk(now, it->secret, sig);
      sb_addf(&url, "%stimestamp=%" PRId64 "&sign=%s", strchr(it->url, '?') ? "&" : "?", now, sig);
    }
  }
  CURL *curl = curl_easy_init();
  if (!curl) {
    snprintf(errbuf, cap, "curl_easy_init failed");
    goto out;
  }
  curl_easy_setopt(curl, CURLOPT_URL, url.buf);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &resp);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "uniops-notify/1");
  CURLcode cc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(curl);
  if (cc != CURLE_OK) {
    snprintf(errbuf, cap, "transport: %s", curl_easy_strerror(cc));
    goto out;
  }
  if (status < 200 || status > 299) {
    snprintf(errbuf, cap, "receiver answered HTTP %ld", status);
    goto out;
  }
  if (strcmp(it->kind, "webhook") != 0) {
    /* robots answer 200 with an error code in the body */
    json_t *j = json_loads(resp.buf, 0, NULL);
    json_t *code = json_object_get(j, strcmp(it->kind, "feishu") == 0 ? "code" : "errcode");
    int ok = json_is_integer(code) && json_integer_value(code) == 0;
    if (!ok) snprintf(errbuf, cap, "robot refused: %.200s", resp.buf);
    json_decref(j);
    if (!ok) goto out;
  }
  rc = 0;
out:
  curl_slist_free_all(hdrs);
  free(body);
  sb_release(&url);
  sb_release(&resp);
  return rc;
}
