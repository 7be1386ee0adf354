/* swarm — see swarm.h. The buyers are buyer.c's, the seats they see
 * seatview.c's; this file brings buyers in by the arrival profile, polls
 * the counts (and the seat map) on the monitor connection every second,
 * and runs the loop to the end. */
#include "swarm.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buyer.h"
#include "report.h"

struct swarm {
    struct crowd crowd;
    struct buyer *buyers;
    double *arrival;
    long next_arrival;
    struct event *pump, *ticker;
    int refreshing;             /* a seat map request is in flight */
    double last_refresh;
};

/* ---- arrivals, ticks ---- */

static void on_pump(evutil_socket_t fd, short what, void *arg)
{
    struct swarm *w = arg;
    struct crowd *c = &w->crowd;
    double now = crowd_elapsed(c);

    if (now >= c->cfg->max_duration_s && !c->stopping) {
        c->stopping = 1;
        while (w->next_arrival < c->cfg->users)
            buyer_give_up(&w->buyers[w->next_arrival++]);
    }
    while (w->next_arrival < c->cfg->users && w->arrival[w->next_arrival] <= now) {
        struct buyer *by = &w->buyers[w->next_arrival++];
        int k = scen_party(c->sc, by->id);
        if (k < 0)
            k = (int)rng_range(&c->rng, c->cfg->party_lo, c->cfg->party_hi);
        buyer_arrive(by, k);
    }
    if (c->done == c->cfg->users)
        event_base_loopbreak(c->b->base);
}

static void on_counts(struct hc_req *r, int status, const char *body, size_t len,
                      uint64_t us)
{
    struct swarm *w = r->user;
    struct bench *b = w->crowd.b;
    json_t *j = status == 200 ? json_loadb(body, len, 0, NULL) : NULL;
    json_t *c = json_object_get(j, "counts");

    stats_record(&b->stats, OP_COUNTS, status, us, hc_wait_us(r));
    if (c) {
        struct tick *t = &b->stats.cur;
        t->available = (long)json_integer_value(json_object_get(c, "available"));
        t->held = (long)json_integer_value(json_object_get(c, "held"));
        t->sold = (long)json_integer_value(json_object_get(c, "reserved"));
        t->blocked = (long)json_integer_value(json_object_get(c, "blocked"));
        if (t->available == 0 && t->held == 0 && b->stats.sellout_s < 0)
            b->stats.sellout_s = crowd_elapsed(&w->crowd);
    }
    json_decref(j);
    free(r);
}

/* GETs `what` of the event ("" or "/seats") on the monitor connection. */
static void monitor_get(struct swarm *w, const char *what, enum op op, hc_cb *cb)
{
    struct hc_req *r = calloc(1, sizeof *r);
    struct bench *b = w->crowd.b;

    r->method = "GET";
    snprintf(r->path, sizeof r->path, "/v1/events/%s%s", b->event, what);
    r->op = op;
    r->cb = cb;
    r->user = w;
    hc_submit(b->monitor ? b->monitor : b->pool, r);
}

/* A polled seat map: what the server says now replaces what stale 409s
 * taught the view, both ways; the bench's own holds and sales stay. */
static void on_seatmap(struct hc_req *r, int status, const char *body, size_t len,
                       uint64_t us)
{
    struct swarm *w = r->user;
    struct crowd *c = &w->crowd;
    uint8_t *avail = status == 200 ? malloc(c->v->nseats + 1) : NULL;

    stats_record(&c->b->stats, OP_SEATMAP, status, us, hc_wait_us(r));
    w->refreshing = 0;
    if (avail && seatview_scan(body, len, avail, c->v->nseats) == 0)
        seatview_refresh(&c->seats, avail);
    free(avail);
    free(r);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct swarm *w = arg;
    struct bench *b = w->crowd.b;
    double now = crowd_elapsed(&w->crowd);
    struct tick *row = stats_tick(&b->stats, now);

    if (row && !b->quiet)
        report_progress(stderr, &b->stats, row);
    monitor_get(w, "", OP_COUNTS, on_counts);
    if (w->crowd.cfg->refresh_s > 0 && !w->refreshing &&
        now - w->last_refresh >= w->crowd.cfg->refresh_s) {
        w->last_refresh = now;
        w->refreshing = 1;
        monitor_get(w, "/seats", OP_SEATMAP, on_seatmap);
    }
}

int swarm_parse_arrival(const char *s, struct swarm_cfg *cfg)
{
    const char *colon = strchr(s, ':');
    char *end;
    double v;

    if (!colon)
        return -1;
    v = strtod(colon + 1, &end);
    if (*end || v <= 0)
        return -1;
    if (strncmp(s, "burst", 5) == 0 && colon == s + 5)
        cfg->arrival = ARR_BURST;
    else if (strncmp(s, "ramp", 4) == 0 && colon == s + 4)
        cfg->arrival = ARR_RAMP;
    else if (strncmp(s, "rate", 4) == 0 && colon == s + 4)
        cfg->arrival = ARR_RATE;
    else
        return -1;
    cfg->arrival_arg = v;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int swarm_run(struct bench *b, const struct venue *v, const struct swarm_cfg *cfg,
              struct scen *sc, struct ledger *ledger)
{
    struct swarm w = {0};
    struct crowd *c = &w.crowd;
    struct timeval ms2 = {0, 2000}, sec = {1, 0};
    long u;
    int rc = -1;

    if (!v->nseats || !v->nrows)
        return -1;
    c->b = b;
    c->v = v;
    c->cfg = cfg;
    c->sc = sc;
    c->ledger = ledger;
    rng_seed(&c->rng, cfg->seed);
    w.buyers = calloc((size_t)cfg->users + 1, sizeof *w.buyers);
    w.arrival = calloc((size_t)cfg->users + 1, sizeof *w.arrival);
    if (seatview_init(&c->seats, v, cfg->hotspot, &c->rng) < 0 || !w.buyers || !w.arrival)
        goto done;
    scen_bind(sc, v, c->seats.view, &c->rng);
    for (u = 0; u < cfg->users; u++) {
        double x = rng_unit(&c->rng);
        w.buyers[u].crowd = c;
        w.buyers[u].id = (uint32_t)u;
        w.arrival[u] = cfg->arrival == ARR_BURST ? x * cfg->arrival_arg
                     : cfg->arrival == ARR_RAMP ? sqrt(x) * cfg->arrival_arg
                     : (u ? w.arrival[u - 1] : 0.0) - log(1 - x) / cfg->arrival_arg;
    }
    if (cfg->arrival != ARR_RATE)
        qsort(w.arrival, (size_t)cfg->users, sizeof *w.arrival, cmp_double);
    b->stats.users = (uint64_t)cfg->users;
    b->stats.seats_total = (long)v->nseats;
    w.pump = event_new(b->base, -1, EV_PERSIST, on_pump, &w);
    w.ticker = event_new(b->base, -1, EV_PERSIST, on_tick, &w);
    c->t0 = hc_now_us();
    b->stats.start_us = c->t0;
    event_add(w.pump, &ms2);
    event_add(w.ticker, &sec);
    monitor_get(&w, "", OP_COUNTS, on_counts);
    event_base_dispatch(b->base);
    b->stats.duration_s = crowd_elapsed(c);
    event_del(w.pump);
    event_del(w.ticker);
    /* let the last requests (counts) finish before the audit */
    while (hc_pending(b->pool) || (b->monitor && hc_pending(b->monitor)))
        event_base_loop(b->base, EVLOOP_ONCE);
    stats_tick(&b->stats, crowd_elapsed(c));
    rc = 0;
done:
    if (w.pump)
        event_free(w.pump);
    if (w.ticker)
        event_free(w.ticker);
    for (u = 0; w.buyers && u < cfg->users; u++)
        if (w.buyers[u].timer)
            event_free(w.buyers[u].timer);
    seatview_deinit(&c->seats);
    free(w.buyers);
    free(w.arrival);
    return rc;
}
