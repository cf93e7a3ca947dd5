/* server.h — the HTTP server: libmicrohttpd with a thread pool, the route table,
 * authentication, access logs, metrics and graceful shutdown. */
#ifndef UNIOPS_SERVER_H
#define UNIOPS_SERVER_H

#include "http/app.h"
#include "http/router.h"

/* Serves until SIGTERM or SIGINT, then stops accepting, lets in-flight requests finish
 * (up to 10 s) and returns. 0 on a clean stop, -1 (message logged) if it could not start. */
int server_run(app *a);

/* The route table (routes.c) — every endpoint of the API in one list. */
extern const route api_routes[];
extern const int api_nroutes;

#endif
