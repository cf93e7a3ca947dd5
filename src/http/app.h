/* app.h — what a running server shares with every handler. */
#ifndef UNIOPS_APP_H
#define UNIOPS_APP_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

typedef struct app {
  store *db;
  char listen[128];
  size_t body_limit; /* bytes; larger bodies get 413 */
  int threads;         /* requests handled at once (the others wait for a slot) */
  int max_connections; /* HTTP connections open at once, each with its own thread */
  int64_t started_at_ms;
} app;

#endif
