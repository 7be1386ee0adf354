/* app — what one usherd process is made of, wired by main.c and reached
 * by every request through its context (r->app). Only pointers: each
 * module owns its part and says so in its header. */
#ifndef USHER_APP_H
#define USHER_APP_H

#include <event2/event.h>

struct accesslog;
struct batcher;
struct config;
struct conn_server;
struct guard;
struct layouts;
struct router;
struct store;
struct streams;

struct app {
    int thread, threads;              /* this loop's index, of --threads */
    struct event_base *base;
    const struct config *cfg;
    const struct router *router;      /* the route table (routes.h) */
    struct conn_server *http;
    struct conn_server *admin_http;   /* --admin-listen, or NULL */
    struct guard *guard;
    struct store *store;              /* the Redis connection of requests */
    struct batcher *batcher;          /* hold operations, coalesced per event */
    struct streams *streams;
    struct accesslog *access_log;     /* NULL: no access log */
    struct layouts *layouts;          /* seat-map layouts read lately */
};

#endif
