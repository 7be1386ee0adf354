/* http — usherd's request front: on top of conn.h's wire layer it turns
 * each incoming request into one `struct req`, routes it, admits it
 * (guard.h), enforces body limits, parses the JSON body, and provides the
 * reply functions.
 *
 * Lifetime: a req lives from dispatch until its one http_reply_* call,
 * which sends the answer and frees the req and everything hung on it
 * (body, keys, handler data) in one place, req_finish(). A client that
 * goes away meanwhile does not free the req: its connection waits for the
 * answer and drops it. */
#ifndef USHER_HTTP_H
#define USHER_HTTP_H

#include <jansson.h>

#include "errors.h"
#include "router.h"
#include "store.h"

struct app;
struct conn;
struct evbuffer;
struct verr;

struct req {
    struct app *app;
    struct conn *conn;
    struct router_match m;
    const char *event;        /* the {event} parameter, or NULL */
    const char *hold;         /* the {hold} parameter, or NULL */
    const char *order;        /* the {order} parameter, or NULL */
    const char *ticket;       /* the {ticket} parameter (waiting room), or NULL */
    const char *query;        /* raw query string, or NULL */
    json_t *body;             /* the parsed JSON object, or NULL */
    struct event_keys keys;   /* the event's Redis keys, when event != NULL */
    void *data;               /* handler state, freed with data_free */
    void (*data_free)(void *);
    uint64_t t0_us;           /* when dispatch began, for the metrics */
    const char *method;       /* "GET", ... */
    char extra[256];          /* extra answer header lines */
    const char *key_id;       /* the API key's id (guard.h), or NULL: none taken */
    int admitted;             /* passed the guard: its time feeds the shedding */
    int counted;              /* in metrics_inflight (not a coalesced route) */
    char client[48];          /* the client's address (http_client), "" = not yet */
    int replicas;             /* a reserve: replicas that acknowledged it (batch.h) */
};

/* Binds app->cfg's listen address and installs the dispatcher. 0 or -1
 * (reason logged). */
int http_start(struct app *app);

/* The value of request header `name`, or NULL. */
const char *http_header(struct req *r, const char *name);
/* The client's address: the TCP peer, or what a trusted proxy's
 * X-Forwarded-For says (proxy.h). */
const char *http_client(struct req *r);
/* Adds a header line to r's answer. */
void http_add_header(struct req *r, const char *name, const char *value);

/* The reply functions: each sends one answer and frees r. */
void http_reply_json(struct req *r, int status, json_t *body);   /* steals body */
void http_reply_buffer(struct req *r, int status, struct evbuffer *body); /* drains body */
void http_reply_typed(struct req *r, int status, const char *content_type,
                      struct evbuffer *body);                    /* drains body */
void http_reply_empty(struct req *r, int status);
void http_reply_bytes(struct req *r, int status, const char *content_type,
                      const char *data, size_t len);     /* data is copied */
void http_reply_error(struct req *r, enum err_code code, const char *message,
                      json_t *detail);                           /* steals detail */
void http_reply_verr(struct req *r, struct verr *e);
/* Starts a streamed 200 reply with `content_type` and frees r; the caller
 * owns the returned connection (conn.h's conn_stream_*), and on_close(arg)
 * runs when the client goes. NULL when the client has already gone. */
struct conn *http_stream_start(struct req *r, const char *content_type,
                               void (*on_close)(void *), void *arg);
/* For a failed store call (st != STORE_OK) or a script error reply. */
void http_reply_store(struct req *r, enum store_status st, const redisReply *reply);

#endif
