/* feed — see feed.h. */
#include "feed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "metrics.h"
#include "util.h"
#include "validate.h"

/* One SSE message of a journal entry fits: 5,000 seats (an admin call's
 * most) of 64-character ids, and then some. */
#define ENTRY_MAX (512 * 1024)
#define XREAD_COUNT "500"

/* After delivering a batch the reader waits before reading again, so
 * that changes pile up into bigger batches: one send per client per batch
 * instead of one per change. The wait grows with the number of clients so
 * that a process makes at most about SEND_BUDGET client sends a second
 * (each is a write and two epoll_ctl calls), between LINGER_MIN_US and
 * LINGER_MAX_US: 20 ms for up to 100 watchers, 200 ms for 1,000. A quiet
 * stream is not delayed: XREAD BLOCK answers at the first change. */
#define LINGER_MIN_US 20000
#define LINGER_MAX_US 250000
#define SEND_BUDGET 5000

/* One formatted batch, shared by reference by every client's output
 * buffer, freed when the last of them has written it (or gone). */
struct batch {
    size_t refs;
    size_t len;
    char data[];
};

struct feed {
    struct feeds *fs;
    char event[ID_MAX + 1];
    struct event_keys keys;
    struct store *redis;        /* this reader's own connection */
    struct sse_id last;         /* last entry read */
    int started;                /* last is set */
    int reading;                /* an XREAD is out */
    int closing;
    struct feed_client *clients;
    size_t nclients;
    struct event *retry, *reaper;
    struct feed *prev, *next;
};

struct feeds {
    struct feeds_config cfg;
    struct feed *feeds;
    size_t nclients;
};

/* The message of one entry; one buffer per thread serves all its feeds. */
static __thread char entry_buf[ENTRY_MAX];

static void feed_read(struct feed *f);

/* ---- sending ---- */

void feed_client_send(struct feed_client *c, const char *data, size_t len)
{
    if (!c->closed && c->conn)
        conn_stream_write(c->conn, data, len);
}

static void batch_unref(const void *data, size_t len, void *arg)
{
    struct batch *b = arg;

    if (--b->refs == 0)
        free(b);
}

/* Queues the shared batch on c without copying it. */
static void client_send_batch(struct feed_client *c, struct batch *bt)
{
    if (c->closed)
        return;
    bt->refs++;
    if (conn_stream_write_ref(c->conn, bt->data, bt->len, batch_unref, bt) != 0)
        bt->refs--;
}

static size_t client_backlog(const struct feed_client *c)
{
    return c->closed ? 0 : conn_stream_backlog(c->conn);
}

void feed_client_deliver(struct feed_client *c, const redisReply *entries)
{
    size_t i;

    for (i = 0; i < entries->elements && !c->closed; i++) {
        const redisReply *e = entries->element[i];
        struct sse_id id = sse_entry_id(e);
        size_t n;
        if (sse_id_cmp(id, c->cursor) <= 0)
            continue;
        n = sse_format_entry(e, entry_buf, sizeof entry_buf);
        if (n)
            feed_client_send(c, entry_buf, n);
        c->cursor = id;
    }
}

/* ---- clients ---- */

/* Frees a client that has left its feed, or marks it closed for the
 * call out for it to free. */
static void client_free(struct feed_client *c)
{
    USHER_ASSERT(c->feed == NULL);
    if (c->inflight) {          /* the call's return frees it */
        c->closed = 1;
        return;
    }
    free(c);
}

static void feed_unlink_client(struct feed_client *c)
{
    struct feed *f = c->feed;

    if (!f)
        return;
    if (c->prev)
        c->prev->next = c->next;
    else
        f->clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    f->nclients--;
    f->fs->nclients--;
    metrics_sse_client(-1);
    c->feed = NULL;
    feed_release(f);
}

void feed_client_on_close(void *arg)
{
    struct feed_client *c = arg;

    c->closed = 1;               /* the connection frees itself */
    feed_unlink_client(c);
    client_free(c);
}

/* Drops a client whose output backlog passed the bound. */
static void client_kick(struct feed_client *c)
{
    util_log("warn", "disconnecting a slow SSE client of %s (%zu bytes unsent)",
             c->feed ? c->feed->event : "?", client_backlog(c));
    conn_stream_close(c->conn);
    c->closed = 1;
    feed_unlink_client(c);
    client_free(c);
}

struct feed_client *feed_client_create(struct feed *f)
{
    struct feed_client *c = calloc(1, sizeof *c);

    if (c)
        c->feed = f;
    return c;
}

void feed_client_attach(struct feed_client *c, struct conn *conn)
{
    struct feed *f = c->feed;

    USHER_ASSERT(f != NULL && c->conn == NULL && conn != NULL);
    c->conn = conn;
    c->next = f->clients;
    if (c->next)
        c->next->prev = c;
    f->clients = c;
    f->nclients++;
    f->fs->nclients++;
    metrics_sse_client(1);
}

void feed_client_abandon(struct feed_client *c)
{
    struct feed *f = c->feed;

    USHER_ASSERT(c->conn == NULL && !c->inflight);
    free(c);
    feed_release(f);
}

int feed_client_returned(struct feed_client *c)
{
    USHER_ASSERT(c->inflight);
    c->inflight = 0;
    if (c->closed) {
        free(c);
        return -1;
    }
    return 0;
}

void feed_client_go_live(struct feed_client *c)
{
    USHER_ASSERT(!c->closed && c->feed != NULL && !c->inflight);
    c->live = 1;
    feed_start_at(c->feed, c->cursor);
    feed_read(c->feed);
}

/* ---- the reader ---- */

/* Sends one formatted batch (entries first..last, text buf[0..len)) to
 * every live client: whole to those that have seen none of it, entry by
 * entry to a client whose cursor falls inside it. */
static void deliver_batch(struct feed *f, const redisReply *entries, struct sse_id first,
                          struct sse_id last, const char *buf, size_t len)
{
    struct batch *bt = malloc(sizeof *bt + len);
    struct feed_client *c;

    if (!bt)
        return;
    bt->refs = 1;               /* ours, until the loop is done */
    bt->len = len;
    memcpy(bt->data, buf, len);
    for (c = f->clients; c; c = c->next) {
        if (!c->live || sse_id_cmp(last, c->cursor) <= 0)
            continue;
        if (sse_id_cmp(first, c->cursor) > 0) {
            client_send_batch(c, bt);
            c->cursor = last;
        } else {
            feed_client_deliver(c, entries);
        }
    }
    batch_unref(NULL, 0, bt);
}

static void on_xread(void *arg, enum store_status st, const redisReply *r)
{
    struct feed *f = arg;
    struct feed_client *c, *next;
    struct timeval later = {0, 200000};
    static __thread char buf[ENTRY_MAX];
    const redisReply *entries;

    f->reading = 0;
    if (f->closing)
        return;
    if (st != STORE_OK || r->type == REDIS_REPLY_ERROR) {
        evtimer_add(f->retry, &later);
        return;
    }
    /* NIL: BLOCK ran out with nothing new. */
    if ((entries = sse_xread_entries(r)) != NULL) {
        struct sse_id first = {0, 0}, last = {0, 0}, id;
        size_t i, len = 0;
        /* The batch is formatted once, into one buffer; a client that has
         * seen none of it (all but the just-joined) gets it in one send. */
        for (i = 0; i < entries->elements; i++) {
            const redisReply *e = entries->element[i];
            size_t n;
            id = sse_entry_id(e);
            if (sse_id_none(id))
                continue;
            n = sse_format_entry(e, buf + len, sizeof buf - len);
            if (n == 0 && len > 0) {         /* full: send what we have */
                deliver_batch(f, entries, first, last, buf, len);
                len = 0;
                first.ms = first.seq = 0;
                n = sse_format_entry(e, buf, sizeof buf);
            }
            if (sse_id_none(first))
                first = id;
            last = id;
            len += n;
        }
        if (len)
            deliver_batch(f, entries, first, last, buf, len);
        if (!sse_id_none(last)) {
            f->last = last;
            f->started = 1;
        }
        for (c = f->clients; c; c = next) {
            next = c->next;
            if (client_backlog(c) > f->fs->cfg.max_buffer)
                client_kick(c);
        }
        if (!sse_id_none(last) && !f->closing && f->nclients) {
            long us = (long)(f->nclients * (1000000 / SEND_BUDGET));
            struct timeval linger = {0, us < LINGER_MIN_US ? LINGER_MIN_US
                                        : us > LINGER_MAX_US ? LINGER_MAX_US : us};
            evtimer_add(f->retry, &linger);
            return;
        }
    }
    if (!f->closing && f->nclients)
        feed_read(f);
}

static void feed_read(struct feed *f)
{
    char block[16], from[SSE_ID_LEN];
    const char *argv[8];
    struct timeval later = {0, 200000};

    if (f->reading || f->closing)
        return;
    snprintf(block, sizeof block, "%d", f->fs->cfg.block_ms);
    snprintf(from, sizeof from, "%llu-%llu", f->last.ms, f->last.seq);
    argv[0] = "XREAD";
    argv[1] = "COUNT";
    argv[2] = XREAD_COUNT;
    argv[3] = "BLOCK";
    argv[4] = block;
    argv[5] = "STREAMS";
    argv[6] = f->keys.key[KEY_JOURNAL];
    argv[7] = from;
    if (store_command(f->redis, 8, argv, NULL, on_xread, f) == 0)
        f->reading = 1;
    else
        evtimer_add(f->retry, &later);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    feed_read(arg);
}

static void feed_destroy(struct feed *f)
{
    struct feeds *fs = f->fs;

    USHER_ASSERT(f->nclients == 0);
    if (f->prev)
        f->prev->next = f->next;
    else
        fs->feeds = f->next;
    if (f->next)
        f->next->prev = f->prev;
    f->closing = 1;
    store_destroy(f->redis);    /* a pending XREAD answers STORE_DOWN here */
    event_free(f->retry);
    event_free(f->reaper);
    free(f);
}

static void on_reap(evutil_socket_t fd, short what, void *arg)
{
    struct feed *f = arg;

    if (f->nclients == 0)
        feed_destroy(f);
}

void feed_release(struct feed *f)
{
    if (f->nclients == 0 && !f->closing)
        event_active(f->reaper, EV_TIMEOUT, 1);
}

struct feed *feeds_get(struct feeds *fs, const char *event)
{
    struct feed *f;

    for (f = fs->feeds; f; f = f->next)
        if (strcmp(f->event, event) == 0 && !f->closing)
            return f;
    f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->fs = fs;
    snprintf(f->event, sizeof f->event, "%s", event);
    store_event_keys(&f->keys, event);
    f->redis = store_create(fs->cfg.base, &fs->cfg.redis);
    f->retry = evtimer_new(fs->cfg.base, on_retry, f);
    f->reaper = evtimer_new(fs->cfg.base, on_reap, f);
    if (!f->redis || !f->retry || !f->reaper) {
        store_destroy(f->redis);
        if (f->retry)
            event_free(f->retry);
        if (f->reaper)
            event_free(f->reaper);
        free(f);
        return NULL;
    }
    f->next = fs->feeds;
    if (f->next)
        f->next->prev = f;
    fs->feeds = f;
    return f;
}

const char *feed_journal_key(const struct feed *f)
{
    return f->keys.key[KEY_JOURNAL];
}

struct sse_id feed_last(const struct feed *f)
{
    return f->last;
}

void feed_start_at(struct feed *f, struct sse_id at)
{
    if (!f->started) {
        f->last = at;
        f->started = 1;
    }
}

/* ---- all feeds ---- */

struct feeds *feeds_create(const struct feeds_config *cfg)
{
    struct feeds *fs = calloc(1, sizeof *fs);

    if (fs)
        fs->cfg = *cfg;
    return fs;
}

void feeds_destroy(struct feeds *fs)
{
    if (!fs)
        return;
    while (fs->feeds) {
        struct feed *f = fs->feeds;
        while (f->clients) {
            struct feed_client *c = f->clients;
            f->clients = c->next;
            conn_stream_end(c->conn);
            c->closed = 1;
            c->feed = NULL;
            client_free(c);
        }
        f->nclients = 0;
        feed_destroy(f);
    }
    free(fs);
}

void feeds_send_all(struct feeds *fs, const char *data, size_t len)
{
    struct feed *f;
    struct feed_client *c, *next;

    for (f = fs->feeds; f; f = f->next)
        for (c = f->clients; c; c = next) {
            next = c->next;
            feed_client_send(c, data, len);
        }
}
