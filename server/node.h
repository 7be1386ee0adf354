/* node — one Redis server's connection for store.c (hiredis async on the
 * libevent loop): connects when first asked, authenticates and selects
 * the database, loads the scripts of lua/ as one Functions library
 * (FUNCTION LOAD) or, on a Redis without FUNCTION, each with SCRIPT LOAD,
 * and reconnects with backoff after a loss. It knows nothing of calls,
 * timeouts or routing: store.c queues formatted commands on it and gets
 * hiredis' callbacks (one per command, NULL when the connection went). */
#ifndef USHER_NODE_H
#define USHER_NODE_H

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "scripts_gen.h"

struct node;

struct node_config {
    const char *host;       /* a numeric address (store.c resolves names once) */
    int port;
    const char *unix_path;  /* or NULL */
    const char *user;       /* "" or NULL: no user */
    const char *pass;       /* "" or NULL: no AUTH */
    int db;
    int no_scripts;         /* plain commands only: no library */
    int setup_ms;           /* a connection not ready after this is dropped */
};

/* Called when a connection attempt failed or a connection was lost (the
 * node retries by itself, after its backoff). */
typedef void node_lost_cb(void *owner, struct node *n);

/* A node that connects at the first node_start() or node_send(). The
 * strings of cfg are copied. NULL when out of memory. */
struct node *node_create(struct event_base *base, const struct node_config *cfg,
                         node_lost_cb *lost, void *owner);

/* Closes the connection: every command queued on it gets its callback
 * with a NULL reply, here. Then frees. */
void node_destroy(struct node *n);

/* Connects now unless connected, connecting or waiting out a backoff. */
void node_start(struct node *n);

/* 1 when connected and the library (or every script) is in. */
int node_ready(const struct node *n);
/* 1 while a connection exists or is being made (commands may queue). */
int node_up(const struct node *n);
/* 1 when the library is in and calls are FCALL; else EVALSHA of node_sha. */
int node_functions(const struct node *n);
const char *node_sha(const struct node *n, enum script_id id);
/* "host:port" (or the socket path) of this node. */
const char *node_addr(const struct node *n);
/* 1 when ac is this node's connection now (not an older, dropped one). */
int node_owns(const struct node *n, const redisAsyncContext *ac);

/* Queues a formatted command (starting the connection when needed).
 * 0, or -1 when there is no connection to queue on (waiting out a
 * backoff): then no callback follows. With `asking`, an ASKING goes
 * first (a cluster ASK redirection). */
int node_send(struct node *n, int asking, redisCallbackFn *fn, void *priv,
              const char *cmd, size_t len);

/* Commands queued with node_send whose callback has not run yet: the
 * store calls node_replied() at the top of each such callback. */
unsigned node_queued(const struct node *n);
void node_replied(struct node *n);

/* Queues the library (or script `id`) again before a resend: Redis said
 * it lost it. 0 or -1. */
int node_reload(struct node *n, enum script_id id);

/* Drops the connection (every queued command's callback runs with a NULL
 * reply) and reconnects after the backoff. */
void node_drop(struct node *n, const char *why);

#endif
