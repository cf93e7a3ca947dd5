/* secret.c — sealing credentials with libsodium secretbox. */
#include "core/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/strbuf.h"

static unsigned char key[crypto_secretbox_KEYBYTES];
static int have_key;

int secret_init(err *e) {
  if (have_key) return 0;
  if (sodium_init() < 0) return err_set(e, ERR_internal, NULL, "libsodium failed to initialise");
  const char *env = getenv("UNIOPS_SECRET_KEY");
  if (env && *env) {
    size_t n = 0;
    if (sodium_hex2bin(key, sizeof key, env, strlen(env), NULL, &n, NULL) != 0 || n != sizeof key)
      return err_set(e, ERR_bad_request, "UNIOPS_SECRET_KEY", "UNIOPS_SECRET_KEY must be 64 hex digits");
    have_key = 1;
    return 0;
  }
  const char *path = "var/secret.key";
  mkdir("var", 0750);
  int fd = open(path, O_RDONLY);
  if (fd >= 0) {
    ssize_t got = read(fd, key, sizeof key);
    close(fd);
    if (got != (ssize_t)sizeof key) return err_set(e, ERR_internal, NULL, "%s is damaged (expected 32 bytes)", path);
    have_key = 1;
    return 0;
  }
  randombytes_buf(key, sizeof key);
  fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return err_set(e, ERR_internal, NULL, "cannot create %s: %s", path, strerror(errno));
  ssize_t put = write(fd, key, sizeof key);
  fsync(fd);
  close(fd);
  if (put != (ssize_t)sizeof key) return err_set(e, ERR_internal, NULL, "cannot write %s", path);
  have_key = 1;
  return 0;
}

char *secret_seal(const char *plain) {
  size_t n = strlen(plain);
  size_t blen = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + n;
  unsigned char *buf = xmalloc(blen);
  randombytes_buf(buf, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(buf + crypto_secretbox_NONCEBYTES, (const unsigned char *)plain, n, buf, key);
  size_t b64len = sodium_base64_ENCODED_LEN(blen, sodium_base64_VARIANT_ORIGINAL);
  char *out = xmalloc(4 + b64len);
  memcpy(out, "sb1:", 4);
  sodium_bin2base64(out + 4, b64len, buf, blen, sodium_base64_VARIANT_ORIGINAL);
  free(buf);
  return out;
}

char *secret_open(const char *sealed) {
  if (!sealed || strncmp(sealed, "sb1:", 4) != 0) return NULL;
  const char *b64 = sealed + 4;
  size_t cap = strlen(b64), blen = 0;
  unsigned char *buf = xmalloc(cap + 1);
  if (sodium_base642bin(buf, cap, b64, strlen(b64), NULL, &blen, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      blen < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
    free(buf);
    return NULL;
  }
  size_t n = blen - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
  char *out = xmalloc(n + 1);
  if (crypto_secretbox_open_easy((unsigned char *)out, buf + crypto_secretbox_NONCEBYTES,
                                 blen - crypto_secretbox_NONCEBYTES, buf, key) != 0) {
    free(buf);
    free(out);
    return NULL;
  }
  out[n] = '\0';
  free(buf);
  return out;
}

char *secret_redact_url(const char *url) {
  /* keep scheme, host and path up to the first '?' or the last '/', hide the rest */
  strbuf sb;
  sb_init(&sb);
  const char *q = strchr(url, '?');
  const char *cut = q;
  if (!cut) {
    const char *host = strstr(url, "://");
    const char *slash = host ? strchr(host + 3, '/') : NULL;
    cut = slash ? slash + 1 : url + strlen(url);
  }
  sb_add(&sb, url, (size_t)(cut - url));
  if (*cut) sb_adds(&sb, "…(redacted)");
  return sb_detach(&sb);
}
