/* batch — see batch.h.
 *
 * Per event with operations waiting or a call out, one queue, found by
 * the event's meta key in a small hash table and freed when idle:
 *
 *   idle --submit--> ready (on the flush list) --loop turn ends--> out
 *    ^                 ^                                            |
 *    |                 +---- answer, and more came meanwhile -------+
 *    +---------------------- answer, nothing waiting --------------+
 */
#include "batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "util.h"

#define BUCKETS 256             /* power of two */

struct op {
    enum batch_op code;
    int argc;
    size_t seats;
    const char **argv;          /* into the op's own allocation */
    size_t *lens;
    store_cb *cb;
    void *arg;
    int *acked;                 /* a reserve's replicas acknowledged, or NULL */
    struct op *next;
};

struct queue {
    struct batcher *b;
    struct event_keys keys;
    uint32_t hash;
    struct op *head, *tail;
    int out;                    /* a call is out */
    int ready;                  /* on the flush list */
    struct queue *next_ready;
    struct queue *next;         /* hash chain */
};

/* One call out: its operations, answered in order. */
struct sent {
    struct queue *q;
    struct op *ops;
    int n;
    int acked;                  /* the WAIT's count; -2 when none was sent */
};

struct batcher {
    struct store *store;
    int max_ops;
    struct queue *table[BUCKETS];
    struct queue *ready;        /* queues to send at the end of this turn */
    struct event *flush;
    int flush_armed;
    int wait_n, wait_ms;        /* --reserve-wait, or 0 */
};

static uint32_t hash_key(const char *s, size_t n)
{
    uint32_t h = 2166136261u;   /* FNV-1a */
    size_t i;

    for (i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static void op_answer(struct op *o, enum store_status st, const redisReply *reply, int acked)
{
    store_cb *cb = o->cb;
    void *arg = o->arg;

    if (o->acked)
        *o->acked = acked;
    free(o);
    cb(arg, st, reply);
}

/* Answers the first n operations waiting on q (n < 0: all of them) with
 * st and no reply, as a call that failed whole would. */
static void queue_fail(struct queue *q, int n, enum store_status st)
{
    while (q->head && n-- != 0) {
        struct op *o = q->head;
        q->head = o->next;
        op_answer(o, st, NULL, -2);
    }
    if (!q->head)
        q->tail = NULL;
}

/* The queue is idle: out of the table. */
static void queue_release(struct queue *q)
{
    struct queue **p = &q->b->table[q->hash & (BUCKETS - 1)];

    USHER_ASSERT(!q->head && !q->out && !q->ready);
    while (*p && *p != q)
        p = &(*p)->next;
    if (*p)
        *p = q->next;
    free(q);
}

static void queue_schedule(struct queue *q)
{
    struct batcher *b = q->b;

    if (q->ready || q->out)
        return;
    q->ready = 1;
    q->next_ready = b->ready;
    b->ready = q;
    if (!b->flush_armed) {
        b->flush_armed = 1;
        event_active(b->flush, EV_TIMEOUT, 1);   /* after this turn's other events */
    }
}

static void on_batch(void *arg, enum store_status st, const redisReply *reply)
{
    struct sent *s = arg;
    struct queue *q = s->q;
    struct op *o = s->ops, *next;
    int i, whole = st == STORE_OK && reply && reply->type == REDIS_REPLY_ARRAY &&
                   reply->elements == (size_t)s->n;

    USHER_ASSERT(q->out);
    q->out = 0;
    for (i = 0; o; o = next, i++) {
        next = o->next;
        if (whole)
            op_answer(o, STORE_OK, reply->element[i], s->acked);
        else            /* the call failed whole (or its reply is not one per op) */
            op_answer(o, st, reply, s->acked);
    }
    free(s);
    if (st == STORE_DOWN || st == STORE_TIMEOUT) {
        /* The call failed whole after up to its deadline: what queued
         * behind it meanwhile has waited that long already, and its own
         * call would wait again. Answered the same now, so that no request
         * waits past about one deadline. */
        queue_fail(q, -1, st);
    }
    if (q->head)
        queue_schedule(q);
    else if (!q->ready)
        queue_release(q);
}

/* Sends the queue's first operations as one call. */
static void queue_send(struct queue *q)
{
    struct batcher *b = q->b;
    struct sent *s = calloc(1, sizeof *s);
    struct op *o, *last = NULL;
    size_t argc = 1, seats = 0, at;
    const char **argv = NULL;
    size_t *lens = NULL;
    char nbuf[24], codes[256];
    int n = 0, sells = 0, rc;

    USHER_ASSERT(q->head && !q->out);
    for (o = q->head; o && n < b->max_ops && n < (int)sizeof codes; o = o->next) {
        if (n > 0 && seats + o->seats > BATCH_SEATS_MAX)
            break;
        seats += o->seats;
        sells |= o->code == BATCH_RESERVE;
        argc += 1 + (size_t)o->argc;
        last = o;
        n++;
    }
    argv = malloc(sizeof *argv * argc);
    lens = malloc(sizeof *lens * argc);
    if (!s || !argv || !lens) {
        free(argv);
        free(lens);
        free(s);
        /* out of memory: these operations fail alone, the rest waits */
        queue_fail(q, n, STORE_DOWN);
        if (q->head)
            queue_schedule(q);
        else
            queue_release(q);
        return;
    }
    /* take them off the queue */
    s->q = q;
    s->ops = q->head;
    s->n = n;
    s->acked = -2;
    q->head = last->next;
    last->next = NULL;
    if (!q->head)
        q->tail = NULL;
    argv[0] = nbuf;
    lens[0] = (size_t)(util_put_uint(nbuf, (unsigned)n) - nbuf);
    at = 1;
    for (o = s->ops, n = 0; o; o = o->next, n++) {
        codes[n] = (char)o->code;
        argv[at] = &codes[n];
        lens[at++] = 1;
        memcpy(argv + at, o->argv, sizeof *argv * (size_t)o->argc);
        memcpy(lens + at, o->lens, sizeof *lens * (size_t)o->argc);
        at += (size_t)o->argc;
    }
    q->out = 1;
    metrics_batch((uint64_t)s->n);
    rc = sells && b->wait_n
             ? store_eval_wait(b->store, SCRIPT_HOLD_BATCH, &q->keys, (int)argc, argv, lens,
                               b->wait_n, b->wait_ms, &s->acked, on_batch, s)
             : store_eval(b->store, SCRIPT_HOLD_BATCH, &q->keys, (int)argc, argv, lens,
                          on_batch, s);
    if (rc < 0) {
        s->acked = -2;
        on_batch(s, STORE_DOWN, NULL);    /* answers each, and frees s */
    }
    free(argv);
    free(lens);
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
    struct batcher *b = arg;
    struct queue *q = b->ready, *next;

    b->ready = NULL;
    b->flush_armed = 0;
    for (; q; q = next) {
        next = q->next_ready;
        q->ready = 0;
        if (q->head && !q->out)
            queue_send(q);
        else if (!q->head && !q->out)
            queue_release(q);
    }
}

int batcher_submit(struct batcher *b, const struct event_keys *k, enum batch_op code, int argc,
                   const char **argv, const size_t *lens, size_t seats, int *acked,
                   store_cb *cb, void *arg)
{
    const char *meta = k->key[KEY_META];
    uint32_t h = hash_key(meta, k->len[KEY_META]);
    struct queue *q;
    size_t bytes = 0, i;
    struct op *o;
    char *p;

    if (!store_ready(b->store))
        return -1;
    for (i = 0; i < (size_t)argc; i++)
        bytes += lens ? lens[i] : strlen(argv[i]);
    o = malloc(sizeof *o + (size_t)argc * (sizeof *o->argv + sizeof *o->lens) + bytes);
    if (!o)
        return -1;
    for (q = b->table[h & (BUCKETS - 1)]; q; q = q->next)
        if (q->hash == h && strcmp(q->keys.key[KEY_META], meta) == 0)
            break;
    if (!q) {
        if (!(q = calloc(1, sizeof *q))) {
            free(o);
            return -1;
        }
        q->b = b;
        q->keys = *k;
        q->keys.n = EVENT_KEYS;
        q->hash = h;
        q->next = b->table[h & (BUCKETS - 1)];
        b->table[h & (BUCKETS - 1)] = q;
    }
    o->code = code;
    o->argc = argc;
    o->seats = seats;
    o->cb = cb;
    o->arg = arg;
    o->acked = acked;
    o->next = NULL;
    o->argv = (const char **)(o + 1);
    o->lens = (size_t *)(o->argv + argc);
    p = (char *)(o->lens + argc);
    for (i = 0; i < (size_t)argc; i++) {
        size_t n = lens ? lens[i] : strlen(argv[i]);
        memcpy(p, argv[i], n);
        o->argv[i] = p;
        o->lens[i] = n;
        p += n;
    }
    if (q->tail)
        q->tail->next = o;
    else
        q->head = o;
    q->tail = o;
    queue_schedule(q);
    return 0;
}

struct batcher *batcher_create(struct event_base *base, struct store *store, int max_ops,
                               int wait_n, int wait_ms)
{
    struct batcher *b = calloc(1, sizeof *b);

    if (!b)
        return NULL;
    b->store = store;
    b->max_ops = max_ops < 1 ? 1 : max_ops;
    b->wait_n = wait_n;
    b->wait_ms = wait_ms;
    b->flush = event_new(base, -1, 0, on_flush, b);
    if (!b->flush) {
        free(b);
        return NULL;
    }
    return b;
}

void batcher_destroy(struct batcher *b)
{
    size_t i;

    if (!b)
        return;
    for (i = 0; i < BUCKETS; i++) {
        while (b->table[i]) {
            struct queue *q = b->table[i];
            USHER_ASSERT(!q->out);      /* the store went first and answered it */
            b->table[i] = q->next;
            queue_fail(q, -1, STORE_DOWN);
            free(q);
        }
    }
    event_free(b->flush);
    free(b);
}
