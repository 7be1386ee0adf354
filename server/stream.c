/* stream — see stream.h. */
#include "stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_common.h"
#include "app.h"
#include "feed.h"
#include "replies.h"
#include "sse.h"
#include "validate.h"

#define CATCHUP_BATCH 500
#define CATCHUP_BATCH_S "500"

struct opening;

struct streams {
    struct app *app;
    struct feeds *feeds;
    struct opening *reads;      /* snapshot reads in flight, one per event */
    struct event *heartbeat;
};

/* Per open request, until the stream starts. The first opener of an
 * event reads the snapshot (it "leads"); openers of the same event that
 * come while that read is out wait on its list and share its answer, so
 * a thousand seat maps opening at once are one read, not a thousand. */
struct opening {
    struct streams *ss;
    struct sse_id resume;       /* from Last-Event-ID */
    int resuming;
    int leading;                /* on ss->reads */
    char event[ID_MAX + 1];     /* when leading */
    struct req *waiters;        /* when leading: openers sharing the read */
    struct req *next_waiter;    /* when waiting */
    struct opening *next_read;  /* on ss->reads */
};

static void catch_up(struct feed_client *c);

/* ---- catching up through the main connection ---- */

static void on_catch_up(void *arg, enum store_status st, const redisReply *r)
{
    struct feed_client *c = arg;

    if (feed_client_returned(c) < 0)
        return;                 /* it left meanwhile */
    if (st != STORE_OK || r->type != REDIS_REPLY_ARRAY) {
        /* No catch-up to be had (Redis gone or refusing): follow the
         * reader from here rather than ask again at once, in a loop. */
        feed_client_go_live(c);
        return;
    }
    feed_client_deliver(c, r);
    if (r->elements == CATCHUP_BATCH || sse_id_cmp(c->cursor, feed_last(c->feed)) < 0) {
        catch_up(c);            /* more, or the reader is ahead: again */
        return;
    }
    feed_client_go_live(c);
}

/* Reads the journal after c's cursor, a batch at a time, until c is at
 * the reader's position; then c goes live. */
static void catch_up(struct feed_client *c)
{
    struct streams *ss = c->user;
    char from[SSE_ID_LEN + 1];
    const char *argv[6];

    snprintf(from, sizeof from, "(%llu-%llu", c->cursor.ms, c->cursor.seq);
    argv[0] = "XRANGE";
    argv[1] = feed_journal_key(c->feed);
    argv[2] = sse_id_none(c->cursor) ? "-" : from;
    argv[3] = "+";
    argv[4] = "COUNT";
    argv[5] = CATCHUP_BATCH_S;
    if (store_command(ss->app->store, 6, argv, NULL, on_catch_up, c) == 0)
        c->inflight = 1;
    else
        feed_client_go_live(c);     /* Redis is down: follow the reader alone */
}

/* The oldest entry the journal keeps, for a client resuming: when its
 * resume point was trimmed away (or the map replaced), entries between it
 * and the oldest kept one may be lost, so it is told to reload. */
static void on_first_id(void *arg, enum store_status st, const redisReply *r)
{
    struct feed_client *c = arg;
    struct sse_id first = {0, 0};

    if (feed_client_returned(c) < 0)
        return;
    if (st == STORE_OK)
        first = sse_first_id(r);
    if (sse_id_none(first) || sse_id_cmp(first, c->cursor) > 0) {
        static const char reset[] = "event: reset\ndata: {\"reason\":\"resume point no longer kept\"}\n\n";
        feed_client_send(c, reset, sizeof reset - 1);
        /* go on from what the counts it just got reflect */
        c->cursor = c->snap;
    }
    catch_up(c);
}

/* ---- joining: from the snapshot to live ---- */

/* Starts r's stream from a snapshot read (its own or its leader's). */
static void open_from_snapshot(struct req *r, enum store_status st, const redisReply *reply)
{
    struct opening *op = r->data;
    struct streams *ss = op->ss;
    struct sse_id resume = op->resume, snap = {0, 0};
    int resuming = op->resuming;
    struct event_view ev;
    struct feed *f;
    struct feed_client *c;
    struct conn *conn;
    json_t *counts;
    char *msg;

    if (!api_reply_ok(r, st, reply, REDIS_REPLY_ARRAY, 0))
        return;
    if (replies_event(reply, &ev) < 0) {
        http_reply_error(r, ERR_INTERNAL, NULL, NULL);
        return;
    }
    sse_id_parse(ev.journal_id.s, ev.journal_id.len, &snap);
    f = feeds_get(ss->feeds, r->event);
    c = f ? feed_client_create(f) : NULL;
    if (!c) {
        if (f)
            feed_release(f);
        http_reply_error(r, ERR_INTERNAL, NULL, NULL);
        return;
    }
    counts = api_counts(ev.status.s, 0, ev.status.len);
    conn = http_stream_start(r, "text/event-stream", feed_client_on_close, c);
    /* r is gone from here */
    if (!conn) {                 /* the client left while we read, or HEAD */
        json_decref(counts);
        feed_client_abandon(c);
        return;
    }
    feed_client_attach(c, conn);
    c->user = ss;
    msg = json_dumps(counts, JSON_COMPACT);
    json_decref(counts);
    {
        static const char head[] = "retry: 2000\nevent: counts\ndata: ";
        feed_client_send(c, head, sizeof head - 1);
        feed_client_send(c, msg ? msg : "{}", msg ? strlen(msg) : 2);
        feed_client_send(c, "\n\n", 2);
    }
    free(msg);
    c->snap = snap;
    feed_start_at(f, snap);
    if (resuming) {
        const char *argv[6] = {"XRANGE", feed_journal_key(f), "-", "+", "COUNT", "1"};
        c->cursor = resume;
        if (store_command(ss->app->store, 6, argv, NULL, on_first_id, c) == 0) {
            c->inflight = 1;
            return;
        }
    } else {
        c->cursor = snap;
        if (sse_id_cmp(snap, feed_last(f)) == 0) {
            feed_client_go_live(c);  /* at the reader's position: nothing to catch up */
            return;
        }
    }
    catch_up(c);
}

static void opening_unlink(struct opening *op)
{
    struct opening **p = &op->ss->reads;

    while (*p && *p != op)
        p = &(*p)->next_read;
    if (*p)
        *p = op->next_read;
    op->leading = 0;
}

/* r->data_free of an opening: a leader answered early (refused by the
 * store at once) leaves the list of reads; it has no waiters then. */
static void opening_free(void *arg)
{
    struct opening *op = arg;

    if (op->leading)
        opening_unlink(op);
    free(op);
}

static void on_snapshot(void *arg, enum store_status st, const redisReply *reply)
{
    struct req *r = arg, *w, *next;
    struct opening *op = r->data;

    /* take the waiters first: answering r frees op */
    w = op->waiters;
    op->waiters = NULL;
    opening_unlink(op);
    open_from_snapshot(r, st, reply);
    for (; w; w = next) {
        next = ((struct opening *)w->data)->next_waiter;
        open_from_snapshot(w, st, reply);
    }
}

void streams_route_open(struct req *r)
{
    struct streams *ss = r->app->streams;
    struct opening *op = calloc(1, sizeof *op), *lead;
    const char *lei = http_header(r, "Last-Event-ID");
    const char *argv[] = {"0"};

    if (!op) {
        http_reply_error(r, ERR_INTERNAL, NULL, NULL);
        return;
    }
    r->data = op;
    r->data_free = opening_free;
    op->ss = ss;
    if (lei && *lei) {
        if (sse_id_parse(lei, strlen(lei), &op->resume) != 0) {
            http_reply_error(r, ERR_INVALID_REQUEST,
                             "Last-Event-ID must be an id this stream sent (ms-seq).", NULL);
            return;
        }
        op->resuming = 1;
    }
    for (lead = ss->reads; lead; lead = lead->next_read)
        if (strcmp(lead->event, r->event) == 0) {
            op->next_waiter = lead->waiters;
            lead->waiters = r;
            return;
        }
    snprintf(op->event, sizeof op->event, "%s", r->event);
    op->leading = 1;
    op->next_read = ss->reads;
    ss->reads = op;
    api_eval(r, SCRIPT_EVENT_READ, 1, argv, NULL, on_snapshot);
}

/* ---- heartbeats, life cycle ---- */

static void on_heartbeat(evutil_socket_t fd, short what, void *arg)
{
    struct streams *ss = arg;

    feeds_send_all(ss->feeds, ": heartbeat\n\n", 13);
}

struct streams *streams_create(struct app *app, const struct store_config *redis,
                               const struct streams_config *cfg)
{
    struct streams *ss = calloc(1, sizeof *ss);
    struct feeds_config fc = {.base = app->base, .redis = *redis,
                              .max_buffer = cfg->max_buffer};
    struct timeval tv = {cfg->heartbeat_ms / 1000, (cfg->heartbeat_ms % 1000) * 1000};

    if (!ss)
        return NULL;
    ss->app = app;
    fc.redis.no_scripts = 1;
    /* XREAD BLOCK must end well before the store's own call timeout */
    fc.block_ms = redis->timeout_ms / 2 > 5000 ? 5000 : redis->timeout_ms / 2;
    if (fc.block_ms < 50)
        fc.block_ms = 50;
    ss->feeds = feeds_create(&fc);
    ss->heartbeat = event_new(app->base, -1, EV_PERSIST, on_heartbeat, ss);
    if (!ss->feeds || !ss->heartbeat) {
        feeds_destroy(ss->feeds);
        if (ss->heartbeat)
            event_free(ss->heartbeat);
        free(ss);
        return NULL;
    }
    event_add(ss->heartbeat, &tv);
    return ss;
}

void streams_destroy(struct streams *ss)
{
    if (!ss)
        return;
    feeds_destroy(ss->feeds);
    event_free(ss->heartbeat);
    free(ss);
}

