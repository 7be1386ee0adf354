/* stream — see stream.h. */
#include "stream.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_common.h"
#include "app.h"
#include "conn.h"
#include "replies.h"
#include "validate.h"
#include "util.h"

#define CATCHUP_BATCH "500"
#define ID_LEN 48

/* A stream entry id "ms-seq", kept as numbers: compared for every client
 * of every batch. {0, 0} is before every entry (XADD never makes 0-0). */
struct sid {
    unsigned long long ms, seq;
};

/* One formatted batch, shared by reference by every client's output
 * buffer, freed when the last of them has written it (or gone). */
struct batch {
    size_t refs;
    size_t len;
    char data[];
};
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

struct watcher;

struct client {
    struct watcher *w;
    struct conn *conn;
    struct sid cursor;          /* last entry sent ({0, 0} = none yet) */
    struct sid snap;            /* the journal's end when it connected */
    int live;                   /* gets the reader's entries */
    int inflight;               /* a catch-up call is out: free after it */
    int closed;                 /* the connection is gone */
    struct client *prev, *next;
};

struct watcher {
    struct streams *ss;
    char event[ID_MAX + 1];
    struct event_keys keys;
    struct store *redis;        /* this reader's own connection */
    struct sid last;            /* last entry read */
    int started;                /* last is set */
    int reading;
    int closing;
    struct client *clients;
    size_t nclients;
    struct event *retry, *reaper;
    struct watcher *prev, *next;
};

struct opening;

struct streams {
    struct app *app;
    struct store_config redis;
    struct streams_config cfg;
    int block_ms;
    struct watcher *watchers;
    struct opening *reads;      /* snapshot reads in flight, one per event */
    struct event *heartbeat;
    size_t nclients;
};

/* Per open request, until the stream starts. The first opener of an
 * event reads the snapshot (it "leads"); openers of the same event that
 * come while that read is out wait on its list and share its answer, so
 * a thousand seat maps opening at once are one read, not a thousand. */
struct opening {
    struct streams *ss;
    struct sid resume;          /* from Last-Event-ID */
    int resuming;
    int leading;                /* on ss->reads */
    char event[ID_MAX + 1];     /* when leading */
    struct req *waiters;        /* when leading: openers sharing the read */
    struct req *next_waiter;    /* when waiting */
    struct opening *next_read;  /* on ss->reads */
};

static void watcher_read(struct watcher *w);
static void client_catch_up(struct client *c);

static int sid_none(struct sid a)
{
    return a.ms == 0 && a.seq == 0;
}

static int sid_cmp(struct sid a, struct sid b)
{
    if (a.ms != b.ms)
        return a.ms < b.ms ? -1 : 1;
    return a.seq < b.seq ? -1 : a.seq > b.seq;
}

/* Parses "ms-seq" (n bytes, both parts decimal digits, no overflow) into
 * *out. Returns 0, or -1 when s is not such an id; "" is {0, 0}. */
static int sid_parse(const char *s, size_t n, struct sid *out)
{
    unsigned long long part[2] = {0, 0};
    size_t i, k = 0, digits = 0;

    if (n == 0) {
        out->ms = out->seq = 0;
        return 0;
    }
    if (n >= ID_LEN)
        return -1;
    for (i = 0; i < n; i++) {
        if (s[i] == '-' && k == 0 && digits) {
            k = 1;
            digits = 0;
        } else if (s[i] >= '0' && s[i] <= '9' && part[k] <= (~0ULL - 9) / 10) {
            part[k] = part[k] * 10 + (unsigned)(s[i] - '0');
            digits++;
        } else {
            return -1;
        }
    }
    if (k != 1 || !digits)
        return -1;
    out->ms = part[0];
    out->seq = part[1];
    return 0;
}

/* The id of a stream entry reply ([id, fields]), {0, 0} when malformed. */
static struct sid entry_id(const redisReply *e)
{
    struct sid id = {0, 0};

    if (e->type == REDIS_REPLY_ARRAY && e->elements == 2 &&
        e->element[0]->type == REDIS_REPLY_STRING)
        sid_parse(e->element[0]->str, e->element[0]->len, &id);
    return id;
}

/* ---- sending ---- */

static void client_send(struct client *c, const char *data, size_t len)
{
    if (!c->closed)
        conn_stream_write(c->conn, data, len);
}

static void batch_unref(const void *data, size_t len, void *arg)
{
    struct batch *b = arg;

    if (--b->refs == 0)
        free(b);
}

/* Queues the shared batch on c without copying it. */
static void client_send_batch(struct client *c, struct batch *bt)
{
    if (c->closed)
        return;
    bt->refs++;
    if (conn_stream_write_ref(c->conn, bt->data, bt->len, batch_unref, bt) != 0)
        bt->refs--;
}

static size_t client_backlog(const struct client *c)
{
    return c->closed ? 0 : conn_stream_backlog(c->conn);
}

/* Formats one journal entry (id, [field, value, ...]) as an SSE message
 * into buf (cap bytes). Returns its length, 0 when malformed. */
static size_t format_entry(const redisReply *e, char *buf, size_t cap)
{
    const redisReply *id, *f;
    const char *seats = "", *status = "", *cause = "", *ts = "0";
    size_t seats_len = 0, i, n;
    json_t *list, *obj;
    char *data;

    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2)
        return 0;
    id = e->element[0];
    f = e->element[1];
    if (id->type != REDIS_REPLY_STRING || f->type != REDIS_REPLY_ARRAY)
        return 0;
    for (i = 0; i + 1 < f->elements; i += 2) {
        const char *k = f->element[i]->str, *v = f->element[i + 1]->str;
        if (!k || !v)
            continue;
        if (strcmp(k, "seats") == 0) {
            seats = v;
            seats_len = f->element[i + 1]->len;
        } else if (strcmp(k, "status") == 0) {
            status = v;
        } else if (strcmp(k, "cause") == 0) {
            cause = v;
        } else if (strcmp(k, "ts") == 0) {
            ts = v;
        }
    }
    list = json_array();
    for (i = 0; i < seats_len;) {
        size_t start = i;
        while (i < seats_len && seats[i] != ' ')
            i++;
        if (i > start)
            json_array_append_new(list, json_stringn(seats + start, i - start));
        i++;
    }
    obj = json_pack("{s:o, s:s, s:s, s:I}", "seats", list, "status", status, "cause", cause,
                    "ts", (json_int_t)strtoll(ts, NULL, 10));
    data = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    if (!data)
        return 0;
    /* create/replace open a new journal: watchers must reload the map */
    n = (size_t)snprintf(buf, cap, "id: %.*s\nevent: %s\ndata: %s\n\n", (int)id->len, id->str,
                         strcmp(cause, "replace") == 0 || strcmp(cause, "create") == 0
                             ? "reset" : "seats", data);
    free(data);
    return n < cap ? n : 0;
}

/* ---- clients ---- */

static void client_free(struct client *c)
{
    if (c->inflight) {          /* the catch-up callback frees it */
        c->closed = 1;
        return;
    }
    free(c);
}

static void watcher_release(struct watcher *w);

static void client_detach(struct client *c)
{
    struct watcher *w = c->w;

    if (!w)
        return;
    if (c->prev)
        c->prev->next = c->next;
    else
        w->clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    w->nclients--;
    w->ss->nclients--;
    c->w = NULL;
    watcher_release(w);
}

static void on_client_close(void *arg)
{
    struct client *c = arg;

    c->closed = 1;               /* the connection frees itself */
    client_detach(c);
    client_free(c);
}

/* Drops a client whose output backlog passed the bound. */
static void client_kick(struct client *c)
{
    util_log("warn", "disconnecting a slow SSE client of %s (%zu bytes unsent)",
             c->w ? c->w->event : "?", client_backlog(c));
    conn_stream_close(c->conn);
    c->closed = 1;
    client_detach(c);
    client_free(c);
}

/* Sends the entries of an XRANGE/XREAD list to c, those after its cursor. */
static void client_deliver(struct client *c, const redisReply *entries, char *buf, size_t cap)
{
    size_t i;

    for (i = 0; i < entries->elements && !c->closed; i++) {
        const redisReply *e = entries->element[i];
        struct sid id = entry_id(e);
        size_t n;
        if (sid_cmp(id, c->cursor) <= 0)
            continue;
        n = format_entry(e, buf, cap);
        if (n)
            client_send(c, buf, n);
        c->cursor = id;
    }
}

/* ---- the reader ---- */

/* Sends one formatted batch (entries first..last, text buf[0..len)) to
 * every live client: whole to those that have seen none of it, entry by
 * entry to a client whose cursor falls inside it. */
static void deliver_batch(struct watcher *w, const redisReply *entries, struct sid first,
                          struct sid last, const char *buf, size_t len)
{
    static char one[64 * 1024];
    struct batch *bt = malloc(sizeof *bt + len);
    struct client *c;

    if (!bt)
        return;
    bt->refs = 1;               /* ours, until the loop is done */
    bt->len = len;
    memcpy(bt->data, buf, len);
    for (c = w->clients; c; c = c->next) {
        if (!c->live || sid_cmp(last, c->cursor) <= 0)
            continue;
        if (sid_cmp(first, c->cursor) > 0) {
            client_send_batch(c, bt);
            c->cursor = last;
        } else {
            client_deliver(c, entries, one, sizeof one);
        }
    }
    batch_unref(NULL, 0, bt);
}

static void on_xread(void *arg, enum store_status st, const redisReply *r)
{
    struct watcher *w = arg;
    struct client *c, *next;
    struct timeval later = {0, 200000};
    static char buf[256 * 1024];

    w->reading = 0;
    if (w->closing)
        return;
    if (st != STORE_OK || r->type == REDIS_REPLY_ERROR) {
        evtimer_add(w->retry, &later);
        return;
    }
    /* NIL: BLOCK ran out with nothing new. Else [[key, [entries]]]. */
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
        r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements == 2) {
        const redisReply *entries = r->element[0]->element[1];
        struct sid first = {0, 0}, last = {0, 0}, id;
        size_t i, len = 0;
        /* The batch is formatted once, into one buffer; a client that has
         * seen none of it (all but the just-joined) gets it in one send. */
        for (i = 0; i < entries->elements; i++) {
            const redisReply *e = entries->element[i];
            size_t n;
            id = entry_id(e);
            if (sid_none(id))
                continue;
            n = format_entry(e, buf + len, sizeof buf - len);
            if (n == 0 && len > 0) {         /* full: send what we have */
                deliver_batch(w, entries, first, last, buf, len);
                len = 0;
                first.ms = first.seq = 0;
                n = format_entry(e, buf, sizeof buf);
            }
            if (sid_none(first))
                first = id;
            last = id;
            len += n;
        }
        if (len)
            deliver_batch(w, entries, first, last, buf, len);
        if (!sid_none(last)) {
            w->last = last;
            w->started = 1;
        }
        for (c = w->clients; c; c = next) {
            next = c->next;
            if (client_backlog(c) > w->ss->cfg.max_buffer)
                client_kick(c);
        }
        if (!sid_none(last) && !w->closing && w->nclients) {
            long us = (long)(w->nclients * (1000000 / SEND_BUDGET));
            struct timeval linger = {0, us < LINGER_MIN_US ? LINGER_MIN_US
                                        : us > LINGER_MAX_US ? LINGER_MAX_US : us};
            evtimer_add(w->retry, &linger);
            return;
        }
    }
    if (!w->closing && w->nclients)
        watcher_read(w);
}

static void watcher_read(struct watcher *w)
{
    char block[16], from[ID_LEN];
    const char *argv[8];
    struct timeval later = {0, 200000};

    if (w->reading || w->closing)
        return;
    snprintf(block, sizeof block, "%d", w->ss->block_ms);
    argv[0] = "XREAD";
    argv[1] = "COUNT";
    argv[2] = "500";
    argv[3] = "BLOCK";
    argv[4] = block;
    argv[5] = "STREAMS";
    argv[6] = w->keys.key[KEY_JOURNAL];   /* the journal */
    snprintf(from, sizeof from, "%llu-%llu", w->last.ms, w->last.seq);
    argv[7] = from;
    if (store_command(w->redis, 8, argv, NULL, on_xread, w) == 0)
        w->reading = 1;
    else
        evtimer_add(w->retry, &later);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    watcher_read(arg);
}

static void watcher_destroy(struct watcher *w)
{
    struct streams *ss = w->ss;

    if (w->prev)
        w->prev->next = w->next;
    else
        ss->watchers = w->next;
    if (w->next)
        w->next->prev = w->prev;
    w->closing = 1;
    store_destroy(w->redis);    /* a pending XREAD answers STORE_DOWN here */
    event_free(w->retry);
    event_free(w->reaper);
    free(w);
}

static void on_reap(evutil_socket_t fd, short what, void *arg)
{
    struct watcher *w = arg;

    if (w->nclients == 0)
        watcher_destroy(w);
}

/* The last client left: stop the reader soon, outside any callback of it. */
static void watcher_release(struct watcher *w)
{
    if (w->nclients == 0 && !w->closing)
        event_active(w->reaper, EV_TIMEOUT, 1);
}

static struct watcher *watcher_get(struct streams *ss, const char *event)
{
    struct watcher *w;

    for (w = ss->watchers; w; w = w->next)
        if (strcmp(w->event, event) == 0 && !w->closing)
            return w;
    w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->ss = ss;
    snprintf(w->event, sizeof w->event, "%s", event);
    store_event_keys(&w->keys, event);
    w->redis = store_create(ss->app->base, &ss->redis);
    w->retry = evtimer_new(ss->app->base, on_retry, w);
    w->reaper = evtimer_new(ss->app->base, on_reap, w);
    if (!w->redis || !w->retry || !w->reaper) {
        store_destroy(w->redis);
        if (w->retry)
            event_free(w->retry);
        if (w->reaper)
            event_free(w->reaper);
        free(w);
        return NULL;
    }
    w->next = ss->watchers;
    if (w->next)
        w->next->prev = w;
    ss->watchers = w;
    return w;
}

/* ---- joining: catch up through the main connection, then go live ---- */

/* From here the client gets the reader's entries after its cursor. */
static void client_go_live(struct client *c)
{
    c->live = 1;
    if (!c->w->started) {
        c->w->last = c->cursor;
        c->w->started = 1;
    }
    watcher_read(c->w);
}

static void on_catch_up(void *arg, enum store_status st, const redisReply *r)
{
    struct client *c = arg;
    static char buf[256 * 1024];

    c->inflight = 0;
    if (c->closed) {
        free(c);
        return;
    }
    if (st != STORE_OK || r->type != REDIS_REPLY_ARRAY) {
        /* No catch-up to be had (Redis gone or refusing): follow the
         * reader from here rather than ask again at once, in a loop. */
        client_go_live(c);
        return;
    }
    client_deliver(c, r, buf, sizeof buf);
    if (r->elements == (size_t)atoi(CATCHUP_BATCH) || sid_cmp(c->cursor, c->w->last) < 0) {
        client_catch_up(c);     /* more, or the reader is ahead: again */
        return;
    }
    client_go_live(c);
}

static void client_catch_up(struct client *c)
{
    char from[ID_LEN + 1];
    const char *argv[6];
    struct store *main = c->w->ss->app->store;

    snprintf(from, sizeof from, "(%llu-%llu", c->cursor.ms, c->cursor.seq);
    argv[0] = "XRANGE";
    argv[1] = c->w->keys.key[KEY_JOURNAL];
    argv[2] = sid_none(c->cursor) ? "-" : from;
    argv[3] = "+";
    argv[4] = "COUNT";
    argv[5] = CATCHUP_BATCH;
    if (store_command(main, 6, argv, NULL, on_catch_up, c) == 0) {
        c->inflight = 1;
    } else {
        client_go_live(c);      /* Redis is down: follow the reader alone */
    }
}

static void on_first_id(void *arg, enum store_status st, const redisReply *r)
{
    struct client *c = arg;
    struct sid first = {0, 0};

    c->inflight = 0;
    if (c->closed) {
        free(c);
        return;
    }
    if (st == STORE_OK && r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
        r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements == 2)
        first = entry_id(r->element[0]);
    /* The resume point was trimmed away (or the map replaced): entries
     * between it and the oldest kept one may be lost. */
    if (sid_none(first) || sid_cmp(first, c->cursor) > 0) {
        static const char reset[] = "event: reset\ndata: {\"reason\":\"resume point no longer kept\"}\n\n";
        client_send(c, reset, sizeof reset - 1);
        /* go on from what the counts it just got reflect */
        c->cursor = c->snap;
    }
    client_catch_up(c);
}

/* Starts r's stream from a snapshot read (its own or its leader's). */
static void open_from_snapshot(struct req *r, enum store_status st, const redisReply *reply)
{
    struct opening *op = r->data;
    struct streams *ss = op->ss;
    char event[ID_MAX + 1], *msg;
    struct sid resume = op->resume, snap = {0, 0};
    int resuming = op->resuming;
    struct event_view ev;
    struct watcher *w;
    struct client *c;
    json_t *counts;

    if (!api_reply_ok(r, st, reply, REDIS_REPLY_ARRAY, 0))
        return;
    if (replies_event(reply, &ev) < 0) {
        http_reply_error(r, ERR_INTERNAL, NULL, NULL);
        return;
    }
    snprintf(event, sizeof event, "%s", r->event);
    sid_parse(ev.journal_id.s, ev.journal_id.len, &snap);
    counts = api_counts(ev.status.s, 0, ev.status.len);
    w = watcher_get(ss, event);
    c = calloc(1, sizeof *c);
    if (!w || !c) {
        free(c);
        json_decref(counts);
        if (w)
            watcher_release(w);
        http_reply_error(r, ERR_INTERNAL, NULL, NULL);
        return;
    }
    c->conn = http_stream_start(r, "text/event-stream", on_client_close, c);
    /* r is gone from here */
    if (!c->conn) {              /* the client left while we read */
        free(c);
        json_decref(counts);
        watcher_release(w);
        return;
    }
    c->w = w;
    c->next = w->clients;
    if (c->next)
        c->next->prev = c;
    w->clients = c;
    w->nclients++;
    ss->nclients++;
    msg = json_dumps(counts, JSON_COMPACT);
    json_decref(counts);
    {
        char head[] = "retry: 2000\nevent: counts\ndata: ";
        client_send(c, head, sizeof head - 1);
        client_send(c, msg ? msg : "{}", msg ? strlen(msg) : 2);
        client_send(c, "\n\n", 2);
    }
    free(msg);
    c->snap = snap;
    if (!w->started) {
        w->last = snap;
        w->started = 1;
    }
    if (resuming) {
        const char *argv[6] = {"XRANGE", w->keys.key[KEY_JOURNAL], "-", "+", "COUNT", "1"};
        c->cursor = resume;
        if (store_command(ss->app->store, 6, argv, NULL, on_first_id, c) == 0) {
            c->inflight = 1;
            return;
        }
    } else {
        c->cursor = snap;
        if (sid_cmp(snap, w->last) == 0) {
            client_go_live(c);  /* at the reader's position: nothing to catch up */
            return;
        }
    }
    client_catch_up(c);
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
        if (sid_parse(lei, strlen(lei), &op->resume) != 0) {
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
    struct watcher *w;
    struct client *c, *next;

    for (w = ss->watchers; w; w = w->next)
        for (c = w->clients; c; c = next) {
            next = c->next;
            client_send(c, ": heartbeat\n\n", 13);
        }
}

struct streams *streams_create(struct app *app, const struct store_config *redis,
                               const struct streams_config *cfg)
{
    struct streams *ss = calloc(1, sizeof *ss);
    struct timeval tv;

    if (!ss)
        return NULL;
    ss->app = app;
    ss->redis = *redis;
    ss->redis.no_scripts = 1;
    ss->cfg = *cfg;
    /* XREAD BLOCK must end well before the store's own call timeout */
    ss->block_ms = redis->timeout_ms / 2 > 5000 ? 5000 : redis->timeout_ms / 2;
    if (ss->block_ms < 50)
        ss->block_ms = 50;
    tv.tv_sec = cfg->heartbeat_ms / 1000;
    tv.tv_usec = (cfg->heartbeat_ms % 1000) * 1000;
    ss->heartbeat = event_new(app->base, -1, EV_PERSIST, on_heartbeat, ss);
    if (!ss->heartbeat) {
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
    while (ss->watchers) {
        struct watcher *w = ss->watchers;
        while (w->clients) {
            struct client *c = w->clients;
            w->clients = c->next;
            conn_stream_end(c->conn);
            c->closed = 1;
            client_free(c);
        }
        w->nclients = 0;
        watcher_destroy(w);
    }
    event_free(ss->heartbeat);
    free(ss);
}

size_t streams_clients(const struct streams *ss)
{
    return ss->nclients;
}
