/* stats — see stats.h. */
#include "stats.h"

#include <stdlib.h>
#include <string.h>

#include "hclient.h"

const char *const op_names[OP__COUNT] = {
    "hold", "reserve", "release", "seatmap", "healthz", "counts", "best", "queue",
};

void stats_init(struct stats *s, const char *mode)
{
    int i;

    memset(s, 0, sizeof *s);
    s->mode = mode;
    s->start_us = hc_now_us();
    s->sellout_s = -1;
    s->seats_total = s->seats_sold = s->seats_held_end = -1;
    hist_init(&s->queue_wait);
    for (i = 0; i < OP__COUNT; i++) {
        hist_init(&s->op[i].h);
        hist_init(&s->op[i].admitted);
        hist_init(&s->op[i].admitted_sent);
        hist_init(&s->op[i].wait);
    }
    hist_init(&s->second);
    s->cur.available = s->cur.held = s->cur.sold = s->cur.blocked = -1;
}

void stats_deinit(struct stats *s)
{
    free(s->ticks);
    free(s->qpre);
    free(s->qpost);
    json_decref(s->audit);
    s->ticks = NULL;
    s->audit = NULL;
}

void stats_queue_admitted(struct stats *s, int pre, double arrival, double admitted,
                          double wait_s)
{
    struct queue_pair **v = pre ? &s->qpre : &s->qpost;
    size_t *n = pre ? &s->nqpre : &s->nqpost, *cap = pre ? &s->capqpre : &s->capqpost;

    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 1024;
        void *p = realloc(*v, c * sizeof **v);
        if (!p)
            return;
        *v = p;
        *cap = c;
    }
    (*v)[(*n)++] = (struct queue_pair){arrival, admitted};
    s->queue_admitted++;
    hist_record(&s->queue_wait, (uint64_t)(wait_s * 1e6));
}

struct keyed { double key; size_t i; };

static int cmp_keyed(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;

    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;    /* ties by their order */
}

/* The rank of each pair's arrival (field 0) or admission (1) into r. */
static void ranks(const struct queue_pair *v, size_t n, int field, double *r)
{
    struct keyed *k = malloc(n * sizeof *k);
    size_t i;

    if (!k)
        return;
    for (i = 0; i < n; i++)
        k[i] = (struct keyed){field ? v[i].admitted : v[i].arrival, i};
    qsort(k, n, sizeof *k, cmp_keyed);
    for (i = 0; i < n; i++)
        r[k[i].i] = (double)i;
    free(k);
}

double stats_rank_correlation(const struct queue_pair *v, size_t n)
{
    double *ra, *rb, d2 = 0;
    size_t i;

    if (n < 3)
        return 0;
    ra = calloc(n, sizeof *ra);
    rb = calloc(n, sizeof *rb);
    if (!ra || !rb) {
        free(ra);
        free(rb);
        return 0;
    }
    ranks(v, n, 0, ra);
    ranks(v, n, 1, rb);
    for (i = 0; i < n; i++)
        d2 += (ra[i] - rb[i]) * (ra[i] - rb[i]);
    free(ra);
    free(rb);
    return 1 - 6 * d2 / ((double)n * ((double)n * (double)n - 1));
}

void stats_record(struct stats *s, enum op op, int status, uint64_t us, uint64_t wait_us)
{
    struct op_stats *o = &s->op[op];

    if (status == HC_ERR_CONNECT)
        o->err_connect++;
    else if (status == HC_ERR_TIMEOUT)
        o->err_timeout++;
    else if (status < 0)
        o->err_read++;
    else
        o->codes[status < 600 ? status : 599]++;
    if (status < 0 || status >= 500)
        s->cur.errors++;
    if ((op == OP_HOLD || op == OP_BEST) && status == 201)
        s->cur.holds_ok++;
    if (op == OP_HOLD && status == 409)
        s->cur.holds_conflict++;
    if (status > 0) {
        hist_record(&o->h, us);
        hist_record(&o->wait, wait_us);
        if (status != 429 && status != 503) {
            hist_record(&o->admitted, us);
            hist_record(&o->admitted_sent, us > wait_us ? us - wait_us : 0);
        }
        hist_record(&s->second, us);
    }
    s->cur.requests++;
}

struct tick *stats_tick(struct stats *s, double t)
{
    struct tick *row;

    if (s->nticks == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        struct tick *p = realloc(s->ticks, cap * sizeof *p);
        if (!p)
            return NULL;
        s->ticks = p;
        s->cap = cap;
    }
    row = &s->ticks[s->nticks++];
    *row = s->cur;
    row->t = t;
    row->p99_us = hist_percentile(&s->second, 99);
    hist_init(&s->second);
    memset(&s->cur, 0, sizeof s->cur);
    s->cur.available = row->available;
    s->cur.held = row->held;
    s->cur.sold = row->sold;
    s->cur.blocked = row->blocked;
    return row;
}

/* Requests that failed in transport plus answers with a status in [lo, hi). */
static uint64_t count(const struct stats *s, int lo, int hi)
{
    uint64_t n = 0;
    int i, c;

    for (i = 0; i < OP__COUNT; i++) {
        const struct op_stats *o = &s->op[i];
        n += o->err_connect + o->err_timeout + o->err_read;
        for (c = lo; c < hi; c++)
            n += o->codes[c];
    }
    return n;
}

uint64_t stats_requests(const struct stats *s)
{
    return count(s, 0, 600);
}

uint64_t stats_errors(const struct stats *s)
{
    return count(s, 500, 600);
}
