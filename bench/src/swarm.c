/* swarm — see swarm.h. */
#include "swarm.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "report.h"

#define MAX_PARTY 16

enum view { V_FREE, V_HELD, V_SOLD, V_TAKEN, V_INFLIGHT };
enum bstate { B_WAIT, B_BUSY, B_DONE };

struct buyer {
    uint32_t id;
    uint8_t party, attempt, state, nseats;
    int32_t seat[MAX_PARTY];
    char hold_id[32];
    double expires_in_s;
    double held_at;          /* seconds since the start, when the hold came */
    double arrived;          /* seconds since the start */
    struct event *timer;
};

struct swarm {
    struct bench *b;
    const struct venue *v;
    const struct swarm_cfg *cfg;
    struct scen *sc;
    struct ledger *ledger;
    struct rng rng;
    uint8_t *view;
    long free_count;
    long pending_count;         /* seats held or taken: may come free again */
    double *cdf;                /* per row: cumulative Zipf weight in its section */
    struct buyer *buyers;
    double *arrival;
    long next_arrival, done;
    struct event *pump, *ticker;
    uint64_t t0;
    int stopping;
    long sold;
    int refreshing;             /* a seat map request is in flight */
    double last_refresh;
};

static void buyer_try_hold(struct swarm *w, struct buyer *by);
static void on_retry_timer(evutil_socket_t fd, short what, void *arg);

static double elapsed(const struct swarm *w)
{
    return (double)(hc_now_us() - w->t0) / 1e6;
}

static int64_t wall_ms(void)
{
    struct timeval tv;

    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void set_view(struct swarm *w, int32_t i, enum view to)
{
    int was_pending = w->view[i] == V_HELD || w->view[i] == V_TAKEN || w->view[i] == V_INFLIGHT;
    int is_pending = to == V_HELD || to == V_TAKEN || to == V_INFLIGHT;

    w->pending_count += is_pending - was_pending;
    if (w->view[i] == V_FREE && to != V_FREE)
        w->free_count--;
    else if (w->view[i] != V_FREE && to == V_FREE)
        w->free_count++;
    if (w->view[i] != V_SOLD && to == V_SOLD)
        w->sold++;
    w->view[i] = (uint8_t)to;
}

static int32_t seat_index(const struct swarm *w, const char *id, int32_t hint_from,
                          const int32_t *cands, int ncands)
{
    int k;

    for (k = 0; k < ncands; k++)
        if (strcmp(w->v->id[cands[k]], id) == 0)
            return cands[k];
    (void)hint_from;
    return -1;
}

/* ---- seat picking ---- */

static uint32_t pick_row(struct swarm *w)
{
    const struct venue *v = w->v;
    const struct vsection *sec = &v->sections[rng_range(&w->rng, 0, (long)v->nsections - 1)];
    const double *c = w->cdf + sec->first_row;
    double u = rng_unit(&w->rng) * c[sec->nrows - 1];
    uint32_t lo = 0, hi = sec->nrows - 1;

    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (c[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return sec->first_row + lo;
}

/* Built-in choice: k adjacent free seats in a row drawn with the front-row
 * bias, else any k free seats. Returns the count (0: sold out as far as
 * the bench can see). */
static int pick_default(struct swarm *w, int k, int32_t *out)
{
    const struct venue *v = w->v;
    int tries, n;

    if (w->free_count < k)
        return 0;
    for (tries = 0; tries < 8; tries++) {
        const struct vrow *r = &v->rows[pick_row(w)];
        uint32_t start, j, run = 0;
        if ((int)r->count < k)
            continue;
        start = (uint32_t)rng_range(&w->rng, 0, (long)r->count - 1);
        for (j = 0; j < r->count + (uint32_t)k; j++) {
            uint32_t pos = (start + j) % r->count;
            if (pos == 0)
                run = 0;   /* runs do not wrap around the row's end */
            if (w->view[r->first + pos] == V_FREE) {
                if (++run == (uint32_t)k) {
                    for (n = 0; n < k; n++)
                        out[n] = (int32_t)(r->first + pos - (uint32_t)(k - 1 - n));
                    return k;
                }
            } else {
                run = 0;
            }
        }
    }
    {
        size_t i, s0 = (size_t)rng_range(&w->rng, 0, (long)v->nseats - 1);
        n = 0;
        for (i = 0; i < v->nseats && n < k; i++) {
            size_t at = (s0 + i) % v->nseats;
            if (w->view[at] == V_FREE)
                out[n++] = (int32_t)at;
        }
    }
    return n == k ? k : 0;
}

/* ---- requests ---- */

struct breq {
    struct hc_req r;
    struct swarm *w;
    struct buyer *by;
};

static void submit(struct swarm *w, struct buyer *by, enum op op, const char *method,
                   const char *path, char *body, hc_cb *cb)
{
    struct breq *q = calloc(1, sizeof *q);

    q->r.method = method;
    snprintf(q->r.path, sizeof q->r.path, "%s", path);
    q->r.body = body;
    q->r.body_len = body ? strlen(body) : 0;
    q->r.op = op;
    q->r.cb = cb;
    q->r.user = q;
    q->w = w;
    q->by = by;
    by->state = B_BUSY;
    hc_submit(w->b->pool, &q->r);
}

static void buyer_done(struct swarm *w, struct buyer *by, int got_seats)
{
    if (by->state == B_DONE)
        return;
    by->state = B_DONE;
    w->done++;
    if (got_seats)
        w->b->stats.users_with_seats++;
    else
        w->b->stats.users_gave_up++;
}

/* A buyer keeps looking while its patience lasts and the seats it wants
 * may still exist: free now, or held and perhaps coming back. */
static int patient(const struct swarm *w, const struct buyer *by)
{
    return !w->stopping && w->free_count + w->pending_count >= by->party &&
           elapsed(w) - by->arrived < w->cfg->patience_s;
}

/* When a shed request may come again: the answer's Retry-After (1 s when
 * it has none), jittered by half either way so that the shed do not come
 * back as one wave. */
static double retry_after(struct swarm *w, const struct hc_req *r)
{
    return (r->retry_after_s > 0 ? r->retry_after_s : 1) * (0.5 + rng_unit(&w->rng));
}

static void buyer_at(struct swarm *w, struct buyer *by, double seconds,
                     void (*fn)(evutil_socket_t, short, void *))
{
    struct timeval tv;

    if (!by->timer)
        by->timer = evtimer_new(w->b->base, fn, by);
    else
        event_assign(by->timer, w->b->base, -1, 0, fn, by);
    if (seconds < 0)
        seconds = 0;
    tv.tv_sec = (time_t)seconds;
    tv.tv_usec = (suseconds_t)((seconds - (double)tv.tv_sec) * 1e6);
    by->state = B_WAIT;
    evtimer_add(by->timer, &tv);
}

static struct swarm *the_swarm;   /* for timer callbacks that get a buyer */

static void record_hold(struct swarm *w, struct buyer *by, enum res_state st,
                        const char *order)
{
    char **seats = calloc((size_t)by->nseats + 1, sizeof *seats);
    int k;

    for (k = 0; k < by->nseats; k++)
        seats[k] = w->v->id[by->seat[k]];
    ledger_add(w->ledger, st, order, by->hold_id, by->nseats, seats);
}

static void on_expired_timer(evutil_socket_t fd, short what, void *arg)
{
    struct buyer *by = arg;
    int k;

    for (k = 0; k < by->nseats; k++)
        if (the_swarm->view[by->seat[k]] == V_HELD)
            set_view(the_swarm, by->seat[k], V_FREE);
}

/* The buyer walks away: the hold stays until it expires. */
static void buyer_abandon(struct swarm *w, struct buyer *by)
{
    int64_t until = wall_ms() + (int64_t)(by->expires_in_s * 1000) + 1000;

    record_hold(w, by, RES_LIVE_HOLD, NULL);
    if (until > w->ledger->holds_expire_by_ms)
        w->ledger->holds_expire_by_ms = until;
    buyer_done(w, by, 0);
    buyer_at(w, by, by->expires_in_s + 0.2, on_expired_timer);
}

static void buyer_reserve(struct swarm *w, struct buyer *by);

static void on_reserve_retry(evutil_socket_t fd, short what, void *arg)
{
    buyer_reserve(the_swarm, arg);
}

/* 1 when the answer says for sure that nothing happened: 429, or 503
 * `overloaded` (refused before any Redis work; a 503 redis_unavailable
 * may come after the script ran). */
static int refused_untouched(int status, const char *body, size_t len)
{
    json_t *j;
    int yes;

    if (status == 429)
        return 1;
    if (status != 503 || !body || !len)
        return 0;
    j = json_loadb(body, len, 0, NULL);
    yes = json_is_string(json_object_get(json_object_get(j, "error"), "code")) &&
          strcmp(json_string_value(json_object_get(json_object_get(j, "error"), "code")),
                 "overloaded") == 0;
    json_decref(j);
    return yes;
}

static void on_reserve(struct hc_req *r, int status, const char *body, size_t len,
                       uint64_t us)
{
    struct breq *q = r->user;
    struct swarm *w = q->w;
    struct buyer *by = q->by;
    char order[64];
    int k;

    stats_record(&w->b->stats, OP_RESERVE, status, us, hc_wait_us(r));
    snprintf(order, sizeof order, "o%llu-%u", (unsigned long long)w->cfg->seed, by->id);
    if (status == 200) {
        for (k = 0; k < by->nseats; k++)
            set_view(w, by->seat[k], V_SOLD);
        record_hold(w, by, RES_ACKED, order);
        buyer_done(w, by, 1);
    } else if ((status == 429 || status == 503) && !w->stopping &&
               elapsed(w) - by->held_at + 2.0 < by->expires_in_s) {
        /* Shed: nothing happened. A checkout tries again after
         * Retry-After while the hold still has time, as a buyer at the
         * payment page would. */
        buyer_at(w, by, retry_after(w, r), on_reserve_retry);
    } else if (status == 410) {
        for (k = 0; k < by->nseats; k++)
            set_view(w, by->seat[k], V_FREE);
        buyer_done(w, by, 0);
    } else if ((status < 0 || status >= 500) && !refused_untouched(status, body, len)) {
        /* the sale may or may not have happened */
        record_hold(w, by, RES_UNKNOWN, order);
        for (k = 0; k < by->nseats; k++)
            set_view(w, by->seat[k], V_TAKEN);
        buyer_done(w, by, 0);
    } else {
        record_hold(w, by, RES_LIVE_HOLD, NULL);
        buyer_done(w, by, 0);
    }
    free(r->body);
    free(q);
}

static void on_release(struct hc_req *r, int status, const char *body, size_t len,
                       uint64_t us)
{
    struct breq *q = r->user;
    struct swarm *w = q->w;
    struct buyer *by = q->by;
    int k;

    stats_record(&w->b->stats, OP_RELEASE, status, us, hc_wait_us(r));
    if (status == 204 || status == 410) {
        for (k = 0; k < by->nseats; k++)
            set_view(w, by->seat[k], V_FREE);
        buyer_done(w, by, 0);
    } else {
        buyer_abandon(w, by);   /* may still be held: let it expire */
    }
    free(r->body);
    free(q);
}

static void buyer_reserve(struct swarm *w, struct buyer *by)
{
    char path[256], *body = malloc(96);

    snprintf(body, 96, "{\"order_id\":\"o%llu-%u\"}", (unsigned long long)w->cfg->seed, by->id);
    snprintf(path, sizeof path, "/v1/events/%s/holds/%s/reserve", w->b->event, by->hold_id);
    submit(w, by, OP_RESERVE, "POST", path, body, on_reserve);
}

static void on_think_done(evutil_socket_t fd, short what, void *arg)
{
    struct buyer *by = arg;
    struct swarm *w = the_swarm;
    enum act a = scen_decide(w->sc, by->id, by->hold_id, by->seat, by->nseats);
    char path[256];

    if (a == ACT_DEFAULT) {
        double u = rng_unit(&w->rng);
        a = u < w->cfg->p_reserve ? ACT_RESERVE
          : u < w->cfg->p_reserve + w->cfg->p_release ? ACT_RELEASE : ACT_ABANDON;
    }
    if (w->stopping && a == ACT_RESERVE)
        a = ACT_ABANDON;
    if (a == ACT_RESERVE) {
        buyer_reserve(w, by);
    } else if (a == ACT_RELEASE) {
        snprintf(path, sizeof path, "/v1/events/%s/holds/%s", w->b->event, by->hold_id);
        submit(w, by, OP_RELEASE, "DELETE", path, NULL, on_release);
    } else {
        buyer_abandon(w, by);
    }
}

static void on_retry_timer(evutil_socket_t fd, short what, void *arg)
{
    buyer_try_hold(the_swarm, arg);
}

static void on_hold(struct hc_req *r, int status, const char *body, size_t len,
                    uint64_t us)
{
    struct breq *q = r->user;
    struct swarm *w = q->w;
    struct buyer *by = q->by;
    /* only a 201's and a 409's bodies are read: under shedding most
     * answers are 503s, and parsing them was a fifth of the generator */
    json_t *j = body && len && (status == 201 || status == 409)
              ? json_loadb(body, len, 0, NULL) : NULL;
    int k, retry = 0, verdict_default = 1;

    stats_record(&w->b->stats, OP_HOLD, status, us, hc_wait_us(r));
    if (w->cfg->live_view && status != 201)
        for (k = 0; k < by->nseats; k++)   /* taken ones are marked below */
            if (w->view[by->seat[k]] == V_INFLIGHT)
                set_view(w, by->seat[k], V_FREE);
    if (status == 201 && j) {
        double think = scen_think(w->sc, by->id);
        snprintf(by->hold_id, sizeof by->hold_id, "%s",
                 json_string_value(json_object_get(j, "hold_id")));
        by->expires_in_s = (double)json_integer_value(json_object_get(j, "expires_in_s"));
        by->held_at = elapsed(w);
        for (k = 0; k < by->nseats; k++)
            set_view(w, by->seat[k], V_HELD);
        if (think < 0)
            think = -log(1 - rng_unit(&w->rng)) * w->cfg->think_s;
        buyer_at(w, by, think, on_think_done);
    } else if (status == 409) {
        json_t *taken = json_object_get(json_object_get(j, "error"), "seats");
        char *names[MAX_PARTY];
        size_t i, n = 0;
        int verdict;
        json_t *t;
        json_array_foreach(taken, i, t) {
            int32_t at = seat_index(w, json_string_value(t), 0, by->seat, by->nseats);
            if (at >= 0 && w->view[at] == V_FREE)
                set_view(w, at, V_TAKEN);
            if (n < MAX_PARTY)
                names[n++] = (char *)json_string_value(t);
        }
        verdict = scen_on_conflict(w->sc, by->id, names, (int)n, by->attempt);
        retry = verdict < 0 ? by->attempt < w->cfg->retries : verdict;
        verdict_default = verdict < 0;
    } else if (status < 0 || status >= 500) {
        retry = by->attempt < w->cfg->retries;
    }
    if (status != 201) {
        if ((status == 429 || status == 503) && patient(w, by)) {
            /* Shed (or Redis down): come back after Retry-After; this
             * is no conflict retry. */
            buyer_at(w, by, retry_after(w, r), on_retry_timer);
        } else if (retry && !w->stopping) {
            double backoff = 0.05 * (double)(1u << (by->attempt < 8 ? by->attempt : 8));
            by->attempt++;
            buyer_at(w, by, backoff * (0.5 + rng_unit(&w->rng)), on_retry_timer);
        } else if (status == 409 && verdict_default && patient(w, by)) {
            /* Out of quick retries but not of patience: keep refreshing
             * about once a second while seats may still come free. */
            buyer_at(w, by, 0.5 + rng_unit(&w->rng), on_retry_timer);
        } else {
            buyer_done(w, by, 0);
        }
    }
    json_decref(j);
    free(r->body);
    free(q);
}

static void buyer_try_hold(struct swarm *w, struct buyer *by)
{
    int32_t picked[MAX_PARTY];
    int n = scen_pick(w->sc, by->id, by->party, by->attempt, picked, MAX_PARTY);
    char path[256], *body;
    size_t cap, off;
    int k;

    if (n < 0)
        n = pick_default(w, by->party, picked);
    if (n <= 0 && patient(w, by)) {
        /* Nothing free now, but held seats may come back: wait and look
         * again, like a buyer refreshing the seat map. */
        buyer_at(w, by, 0.5 + rng_unit(&w->rng), on_retry_timer);
        return;
    }
    if (n <= 0 || w->stopping) {
        buyer_done(w, by, 0);
        return;
    }
    by->nseats = (uint8_t)n;
    memcpy(by->seat, picked, sizeof *picked * (size_t)n);
    if (w->cfg->live_view)       /* other buyers see these go grey at once */
        for (k = 0; k < n; k++)
            if (w->view[picked[k]] == V_FREE)
                set_view(w, picked[k], V_INFLIGHT);
    cap = 128 + (size_t)n * 72;
    body = malloc(cap);
    off = (size_t)snprintf(body, cap, "{\"seats\":[");
    for (k = 0; k < n; k++)
        off += (size_t)snprintf(body + off, cap - off, "%s\"%s\"", k ? "," : "",
                                w->v->id[picked[k]]);
    off += (size_t)snprintf(body + off, cap - off, "],\"holder\":\"b%u\"", by->id);
    if (w->cfg->hold_ttl_s > 0)
        off += (size_t)snprintf(body + off, cap - off, ",\"ttl_s\":%d", w->cfg->hold_ttl_s);
    snprintf(body + off, cap - off, "}");
    snprintf(path, sizeof path, "/v1/events/%s/holds", w->b->event);
    submit(w, by, OP_HOLD, "POST", path, body, on_hold);
}

/* ---- arrivals, ticks ---- */

static void on_pump(evutil_socket_t fd, short what, void *arg)
{
    struct swarm *w = arg;
    double now = elapsed(w);

    if (now >= w->cfg->max_duration_s && !w->stopping) {
        w->stopping = 1;
        while (w->next_arrival < w->cfg->users)
            buyer_done(w, &w->buyers[w->next_arrival++], 0);
    }
    while (w->next_arrival < w->cfg->users && w->arrival[w->next_arrival] <= now) {
        struct buyer *by = &w->buyers[w->next_arrival++];
        int k = scen_party(w->sc, by->id);
        if (k < 0)
            k = (int)rng_range(&w->rng, w->cfg->party_lo, w->cfg->party_hi);
        by->party = (uint8_t)(k < 1 ? 1 : k > MAX_PARTY ? MAX_PARTY : k);
        by->arrived = now;
        buyer_try_hold(w, by);
    }
    if (w->done == w->cfg->users)
        event_base_loopbreak(w->b->base);
}

static void on_counts(struct hc_req *r, int status, const char *body, size_t len,
                      uint64_t us)
{
    struct swarm *w = r->user;
    json_t *j = status == 200 ? json_loadb(body, len, 0, NULL) : NULL;
    json_t *c = json_object_get(j, "counts");

    stats_record(&w->b->stats, OP_COUNTS, status, us, hc_wait_us(r));
    if (c) {
        struct tick *t = &w->b->stats.cur;
        t->available = (long)json_integer_value(json_object_get(c, "available"));
        t->held = (long)json_integer_value(json_object_get(c, "held"));
        t->sold = (long)json_integer_value(json_object_get(c, "reserved"));
        t->blocked = (long)json_integer_value(json_object_get(c, "blocked"));
        if (t->available == 0 && t->held == 0 && w->b->stats.sellout_s < 0)
            w->b->stats.sellout_s = elapsed(w);
    }
    json_decref(j);
    free(r);
}

/* GETs `what` of the event ("" or "/seats") on the monitor connection. */
static void monitor_get(struct swarm *w, const char *what, enum op op, hc_cb *cb)
{
    struct hc_req *r = calloc(1, sizeof *r);

    r->method = "GET";
    snprintf(r->path, sizeof r->path, "/v1/events/%s%s", w->b->event, what);
    r->op = op;
    r->cb = cb;
    r->user = w;
    hc_submit(w->b->monitor ? w->b->monitor : w->b->pool, r);
}

/* Which seats a seat-map answer shows available, in seat-map order, into
 * avail[0..n). Scanned, not parsed: jansson took about half a second for
 * a 120,000-seat map, a stall of the whole generator at every refresh
 * that showed up as latency in every report. Ids cannot hold a quote, so
 * "status":" only ever begins a seat's status. 0, or -1 unless exactly n
 * seats were found. */
static int seatmap_scan(const char *body, size_t len, uint8_t *avail, size_t n)
{
    static const char key[] = "\"status\":\"";
    const char *p = body, *end = body + len;
    size_t i = 0;

    while (p && (p = memmem(p, (size_t)(end - p), key, sizeof key - 1))) {
        p += sizeof key - 1;
        if (i == n)
            return -1;
        avail[i++] = (size_t)(end - p) > 10 && memcmp(p, "available\"", 10) == 0;
    }
    return i == n ? 0 : -1;
}

/* A polled seat map: what the server says now replaces what stale 409s
 * taught the view, both ways; the bench's own holds and sales stay. */
static void on_seatmap(struct hc_req *r, int status, const char *body, size_t len,
                       uint64_t us)
{
    struct swarm *w = r->user;
    uint8_t *avail = status == 200 ? malloc(w->v->nseats) : NULL;
    size_t i;

    stats_record(&w->b->stats, OP_SEATMAP, status, us, hc_wait_us(r));
    w->refreshing = 0;
    if (avail && seatmap_scan(body, len, avail, w->v->nseats) == 0) {
        for (i = 0; i < w->v->nseats; i++) {
            if (w->view[i] == V_TAKEN && avail[i])
                set_view(w, (int32_t)i, V_FREE);
            else if (w->view[i] == V_FREE && !avail[i])
                set_view(w, (int32_t)i, V_TAKEN);
        }
    }
    free(avail);
    free(r);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct swarm *w = arg;
    double now = elapsed(w);
    struct tick *row = stats_tick(&w->b->stats, now);

    if (row && !w->b->quiet)
        report_progress(stderr, &w->b->stats, row);
    monitor_get(w, "", OP_COUNTS, on_counts);
    if (w->cfg->refresh_s > 0 && !w->refreshing && now - w->last_refresh >= w->cfg->refresh_s) {
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
    struct timeval ms2 = {0, 2000}, sec = {1, 0};
    size_t i;
    long u;
    int rc = -1;

    if (!v->nseats || !v->nrows)
        return -1;
    w.b = b;
    w.v = v;
    w.cfg = cfg;
    w.sc = sc;
    w.ledger = ledger;
    rng_seed(&w.rng, cfg->seed);
    w.view = calloc(v->nseats, 1);
    w.cdf = calloc(v->nrows, sizeof *w.cdf);
    w.buyers = calloc((size_t)cfg->users + 1, sizeof *w.buyers);
    w.arrival = calloc((size_t)cfg->users + 1, sizeof *w.arrival);
    if (!w.view || !w.cdf || !w.buyers || !w.arrival)
        goto done;
    for (i = 0; i < v->nseats; i++) {
        w.view[i] = v->status0[i] == '.' ? V_FREE : v->status0[i] == 'r' ? V_SOLD : V_TAKEN;
        if (w.view[i] == V_FREE)
            w.free_count++;
        else if (w.view[i] == V_TAKEN)
            w.pending_count++;
    }
    for (i = 0; i < v->nrows; i++) {
        double weight = pow((double)v->rows[i].rank + 1.0, -cfg->hotspot);
        w.cdf[i] = weight + (v->rows[i].rank ? w.cdf[i - 1] : 0.0);
    }
    scen_bind(sc, v, w.view, &w.rng);
    for (u = 0; u < cfg->users; u++) {
        double x = rng_unit(&w.rng);
        w.buyers[u].id = (uint32_t)u;
        w.arrival[u] = cfg->arrival == ARR_BURST ? x * cfg->arrival_arg
                     : cfg->arrival == ARR_RAMP ? sqrt(x) * cfg->arrival_arg
                     : (u ? w.arrival[u - 1] : 0.0) - log(1 - x) / cfg->arrival_arg;
    }
    if (cfg->arrival != ARR_RATE)
        qsort(w.arrival, (size_t)cfg->users, sizeof *w.arrival, cmp_double);
    the_swarm = &w;
    b->stats.users = (uint64_t)cfg->users;
    b->stats.seats_total = (long)v->nseats;
    w.pump = event_new(b->base, -1, EV_PERSIST, on_pump, &w);
    w.ticker = event_new(b->base, -1, EV_PERSIST, on_tick, &w);
    w.t0 = hc_now_us();
    b->stats.start_us = w.t0;
    event_add(w.pump, &ms2);
    event_add(w.ticker, &sec);
    monitor_get(&w, "", OP_COUNTS, on_counts);
    event_base_dispatch(b->base);
    b->stats.duration_s = elapsed(&w);
    event_del(w.pump);
    event_del(w.ticker);
    /* let the last requests (counts) finish before the audit */
    while (hc_pending(b->pool) || (b->monitor && hc_pending(b->monitor)))
        event_base_loop(b->base, EVLOOP_ONCE);
    stats_tick(&b->stats, elapsed(&w));
    rc = 0;
done:
    if (w.pump)
        event_free(w.pump);
    if (w.ticker)
        event_free(w.ticker);
    for (u = 0; w.buyers && u < cfg->users; u++)
        if (w.buyers[u].timer)
            event_free(w.buyers[u].timer);
    free(w.view);
    free(w.cdf);
    free(w.buyers);
    free(w.arrival);
    the_swarm = NULL;
    return rc;
}
