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
  int threads;
  int64_t started_at_ms;
} app;

#endif
