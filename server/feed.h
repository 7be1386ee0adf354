/* feed — one reader per event with watchers in this process, and its
 * fan-out: the reader follows the event's journal with XREAD BLOCK on a
 * Redis connection of its own, formats each batch once (sse.h) and hands
 * it by reference to every live client, so a thousand watchers cost one
 * Redis read per batch of changes. A client whose unsent output passes a
 * bound is disconnected. stream.c brings clients in (snapshot, catch-up)
 * and calls feed_client_go_live once a client has caught up.
 *
 * Lifetime: a feed lives while it has clients, and is reaped from the
 * loop (never inside a callback of its own) after the last one leaves. A
 * client is the feed's from feed_client_attach until its connection
 * closes; a catch-up call out for it (inflight) keeps it allocated after
 * that, and feed_client_returned frees it then. */
#ifndef USHER_FEED_H
#define USHER_FEED_H

#include <stddef.h>

#include <event2/event.h>

#include "sse.h"
#include "store.h"

struct conn;
struct feed;
struct feeds;

struct feed_client {
    struct feed *feed;          /* NULL once detached */
    struct conn *conn;
    struct sse_id cursor;       /* last entry sent ({0, 0} = none yet) */
    struct sse_id snap;         /* the journal's end when it connected */
    int live;                   /* gets the reader's entries */
    int inflight;               /* a catch-up call is out: free after it */
    int closed;                 /* the connection is gone */
    void *user;                 /* the caller's (stream.c: its streams) */
    struct feed_client *prev, *next;
};

struct feeds_config {
    struct event_base *base;
    struct store_config redis;  /* for each reader's own connection */
    int block_ms;               /* XREAD BLOCK, below the store's call timeout */
    size_t max_buffer;          /* unsent bytes that disconnect a client */
};

/* NULL when out of memory. */
struct feeds *feeds_create(const struct feeds_config *cfg);
/* Ends every client's stream (after what is queued) and stops every reader. */
void feeds_destroy(struct feeds *fs);
/* Sends data (a comment line, say) to every client of every feed. */
void feeds_send_all(struct feeds *fs, const char *data, size_t len);

/* The feed of `event`, made (with its reader's connection) when there is
 * none. NULL when out of memory. A feed left without a client after this
 * is reaped: attach one, or call feed_release. */
struct feed *feeds_get(struct feeds *fs, const char *event);
/* Lets go of a feed got for a client that never came (see feeds_get). */
void feed_release(struct feed *f);
/* The event's journal key, for catch-up reads on another connection. */
const char *feed_journal_key(const struct feed *f);
/* The last entry the reader read, or {0, 0} before it has a position. */
struct sse_id feed_last(const struct feed *f);
/* Gives the reader its first position (a snapshot's journal end) unless
 * it has one. */
void feed_start_at(struct feed *f, struct sse_id at);

/* A new client of f, on the stream connection conn (conn_stream_start's,
 * whose on_close must be feed_client_on_close with the client returned
 * here: so create it first, with conn NULL, and attach it once the stream
 * has started). NULL when out of memory. */
struct feed_client *feed_client_create(struct feed *f);
/* The stream started on conn: c is the feed's from now on. */
void feed_client_attach(struct feed_client *c, struct conn *conn);
/* The stream did not start (the client left first): frees c, and lets go
 * of its feed. */
void feed_client_abandon(struct feed_client *c);
/* conn.h's on_close for a client's stream: the client left. */
void feed_client_on_close(void *client);

void feed_client_send(struct feed_client *c, const char *data, size_t len);
/* Sends the entries of an XRANGE/XREAD list after c's cursor, moving it. */
void feed_client_deliver(struct feed_client *c, const redisReply *entries);
/* From here c gets the reader's entries after its cursor. */
void feed_client_go_live(struct feed_client *c);
/* A call out for c came back (clears inflight): 0 when c is still
 * there, -1 when its connection closed meanwhile (c is freed now). */
int feed_client_returned(struct feed_client *c);

#endif
