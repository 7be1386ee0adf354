/* rate — see rate.h. */
#include "rate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define QMAX 65536
#define QUEUE_CAP 65536      /* requests waiting for a connection, at most */

struct rate {
    struct bench *b;
    const struct venue *v;
    const struct rate_cfg *cfg;
    struct rng rng;
    uint64_t t0, sent;
    char (*q)[32];           /* hold ids waiting for their release */
    size_t qhead, qlen;
    struct event *pump, *ticker;
    int stopping;
};

int rate_parse_op(const char *s, enum rate_op *op)
{
    static const char *const names[] = {"hold-release", "hold", "seatmap", "healthz"};
    int i;

    for (i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0) {
            *op = (enum rate_op)i;
            return 0;
        }
    return -1;
}

static void send_one(struct rate *x, uint64_t due);

static void on_done(struct hc_req *r, int status, const char *body, size_t len, uint64_t us)
{
    struct rate *x = r->user;

    stats_record(&x->b->stats, (enum op)r->op, status, us, hc_wait_us(r));
    if (r->op == OP_HOLD && status == 201 && x->cfg->op == ROP_HOLD_RELEASE && x->qlen < QMAX) {
        const char *p = body ? memmem(body, len, "\"hold_id\":\"", 11) : NULL;
        if (p) {
            char *dst = x->q[(x->qhead + x->qlen) % QMAX];
            size_t n = 0;
            p += 11;
            while (n < 31 && p + n < body + len && p[n] != '"') {
                dst[n] = p[n];
                n++;
            }
            dst[n] = '\0';
            x->qlen++;
        }
    }
    free(r->body);
    free(r);
    /* closed loop (--rate max): the connection's next request at once */
    if (x->cfg->rate <= 0 && !x->stopping)
        send_one(x, 0);
}

static void send_one(struct rate *x, uint64_t due)
{
    struct hc_req *r = calloc(1, sizeof *r);
    const char *ev = x->b->event;

    r->cb = on_done;
    r->user = x;
    r->start_us = due;
    if (x->cfg->op == ROP_HEALTHZ) {
        r->method = "GET";
        r->op = OP_HEALTHZ;
        snprintf(r->path, sizeof r->path, "/healthz");
    } else if (x->cfg->op == ROP_SEATMAP) {
        r->method = "GET";
        r->op = OP_SEATMAP;
        snprintf(r->path, sizeof r->path, "/v1/events/%s/seats", ev);
    } else if (x->qlen > 0) {
        r->method = "DELETE";
        r->op = OP_RELEASE;
        snprintf(r->path, sizeof r->path, "/v1/events/%s/holds/%s", ev, x->q[x->qhead]);
        x->qhead = (x->qhead + 1) % QMAX;
        x->qlen--;
    } else {
        const char *seat = x->v->id[rng_range(&x->rng, 0, (long)x->v->nseats - 1)];
        r->method = "POST";
        r->op = OP_HOLD;
        snprintf(r->path, sizeof r->path, "/v1/events/%s/holds", ev);
        r->body = malloc(160);
        if (x->cfg->hold_ttl_s > 0)
            snprintf(r->body, 160, "{\"seats\":[\"%s\"],\"ttl_s\":%d}", seat, x->cfg->hold_ttl_s);
        else
            snprintf(r->body, 160, "{\"seats\":[\"%s\"]}", seat);
        r->body_len = strlen(r->body);
    }
    hc_submit(x->b->pool, r);
}

static void drop_unsent(struct hc_req *r, void *arg)
{
    free(r->body);
    free(r);
}

/* The run is over: nothing more is sent. Requests the bench could not
 * send in time (it was behind: the target is slower than --rate, or the
 * connections too few) are counted as never sent, as wrk2 does, instead
 * of being sent after the end; those in flight finish (each within the
 * request timeout). */
static void rate_stop(struct rate *x)
{
    if (!x->stopping) {
        x->stopping = 1;
        x->b->stats.unsent += hc_drop_queued(x->b->pool, drop_unsent, NULL);
    }
    if (hc_pending(x->b->pool) == 0)
        event_base_loopbreak(x->b->base);
}

/* Sends every request that is due, then sleeps until the next one is
 * (at least 100 us, so that very high rates go out in small batches). */
static void on_pump(evutil_socket_t fd, short what, void *arg)
{
    struct rate *x = arg;
    uint64_t now = hc_now_us(), due_n, next_us;
    double el = (double)(now - x->t0) / 1e6;
    struct timeval tv;

    if (el >= x->cfg->duration_s) {
        rate_stop(x);
        return;
    }
    if (x->cfg->rate <= 0)
        return;
    /* request i is due at i / rate: those with i <= el * rate are due now */
    due_n = (uint64_t)(el * x->cfg->rate) + 1;
    while (x->sent < due_n) {
        /* a bounded queue: far behind, a due request is counted as never
         * sent rather than held in memory (at 10^6/s that was a GB) */
        if (hc_pending(x->b->pool) >= (size_t)x->cfg->connections + QUEUE_CAP)
            x->b->stats.unsent++;
        else
            send_one(x, x->t0 + (uint64_t)((double)x->sent / x->cfg->rate * 1e6));
        x->sent++;
    }
    next_us = x->t0 + (uint64_t)((double)x->sent / x->cfg->rate * 1e6);
    next_us = next_us > now + 100 ? next_us - now : 100;
    tv.tv_sec = (time_t)(next_us / 1000000);
    tv.tv_usec = (suseconds_t)(next_us % 1000000);
    evtimer_add(x->pump, &tv);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct rate *x = arg;
    struct tick *row = stats_tick(&x->b->stats, (double)(hc_now_us() - x->t0) / 1e6);

    if (row && !x->b->quiet)
        report_progress(stderr, &x->b->stats, row);
    /* the closed loop has no pump to notice the end */
    if (x->stopping || (double)(hc_now_us() - x->t0) / 1e6 >= x->cfg->duration_s)
        rate_stop(x);
}

int rate_run(struct bench *b, const struct venue *v, const struct rate_cfg *cfg)
{
    struct rate x = {0};
    struct timeval now = {0, 0}, sec = {1, 0};

    if ((cfg->op == ROP_HOLD || cfg->op == ROP_HOLD_RELEASE) && (!v || !v->nseats))
        return -1;
    x.b = b;
    x.v = v;
    x.cfg = cfg;
    rng_seed(&x.rng, cfg->seed);
    x.q = calloc(QMAX, sizeof *x.q);
    if (!x.q)
        return -1;
    x.pump = evtimer_new(b->base, on_pump, &x);
    x.ticker = event_new(b->base, -1, EV_PERSIST, on_tick, &x);
    x.t0 = hc_now_us();
    b->stats.start_us = x.t0;
    event_add(x.pump, &now);
    event_add(x.ticker, &sec);
    if (cfg->rate <= 0) {        /* closed loop: keep every connection busy */
        int i;
        for (i = 0; i < cfg->connections; i++)
            send_one(&x, 0);
    }
    event_base_dispatch(b->base);
    b->stats.duration_s = b->interrupted ? (double)(hc_now_us() - x.t0) / 1e6 : cfg->duration_s;
    stats_tick(&b->stats, (double)(hc_now_us() - x.t0) / 1e6);
    event_free(x.pump);
    event_free(x.ticker);
    free(x.q);
    return 0;
}
