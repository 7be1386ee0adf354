/* buyer — see buyer.h. */
#include "buyer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "swarm.h"

static void buyer_try_hold(struct crowd *w, struct buyer *by);
static void on_retry_timer(evutil_socket_t fd, short what, void *arg);
static void hold_learn(struct crowd *w, struct buyer *by, json_t *j);

double crowd_elapsed(const struct crowd *c)
{
    return (double)(hc_now_us() - c->t0) / 1e6;
}

static int64_t wall_ms(void)
{
    struct timeval tv;

    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* One request of a buyer: the hclient request and whose it is. */

struct breq {
    struct hc_req r;
    struct crowd *w;
    struct buyer *by;
};

static void submit(struct crowd *w, struct buyer *by, enum op op, const char *method,
                   const char *path, char *body, hc_cb *cb)
{
    struct breq *q = calloc(1, sizeof *q);

    q->r.method = method;
    snprintf(q->r.path, sizeof q->r.path, "%s", path);
    q->r.body = body;
    q->r.body_len = body ? strlen(body) : 0;
    q->r.op = op;
    q->r.headers = by->admission;
    q->r.cb = cb;
    q->r.user = q;
    q->w = w;
    q->by = by;
    by->state = B_BUSY;
    hc_submit(w->b->pool, &q->r);
}

static void buyer_done(struct crowd *w, struct buyer *by, int got_seats)
{
    if (by->state == B_DONE)
        return;
    by->state = B_DONE;
    free(by->admission);
    by->admission = NULL;
    w->done++;
    if (got_seats)
        w->b->stats.users_with_seats++;
    else
        w->b->stats.users_gave_up++;
}

/* A buyer keeps looking while its patience lasts and the seats it wants
 * may still exist: free now, or held and perhaps coming back (the bench
 * cannot see an area's places: a GA buyer trusts its patience alone). */
static int patient(const struct crowd *w, const struct buyer *by)
{
    return !w->stopping &&
           (by->kind == K_GA || w->seats.free_count + w->seats.pending_count >= by->party) &&
           crowd_elapsed(w) - by->arrived < w->cfg->patience_s;
}

/* When a shed request may come again: the answer's Retry-After (1 s when
 * it has none), jittered by half either way so that the shed do not come
 * back as one wave. */
static double retry_after(struct crowd *w, const struct hc_req *r)
{
    return (r->retry_after_s > 0 ? r->retry_after_s : 1) * (0.5 + rng_unit(&w->rng));
}

static void buyer_at(struct crowd *w, struct buyer *by, double seconds,
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

static void record_hold(struct crowd *w, struct buyer *by, enum res_state st,
                        const char *order)
{
    char **seats = calloc((size_t)by->nseats + 1, sizeof *seats);
    int k;

    for (k = 0; k < by->nseats; k++)
        seats[k] = w->v->id[by->seat[k]];
    ledger_add(w->ledger, st, order, by->hold_id, by->nseats, seats);
    if (by->kind == K_GA)
        w->ledger->e[w->ledger->n - 1].places = by->party;
}

static void on_expired_timer(evutil_socket_t fd, short what, void *arg)
{
    struct buyer *by = arg;
    int k;

    for (k = 0; k < by->nseats; k++)
        if (by->crowd->seats.view[by->seat[k]] == V_HELD)
            seatview_set(&by->crowd->seats, by->seat[k], V_FREE);
}

/* The buyer walks away: the hold stays until it expires. */
static void buyer_abandon(struct crowd *w, struct buyer *by)
{
    int64_t until = wall_ms() + (int64_t)(by->expires_in_s * 1000) + 1000;

    record_hold(w, by, RES_LIVE_HOLD, NULL);
    if (until > w->ledger->holds_expire_by_ms)
        w->ledger->holds_expire_by_ms = until;
    buyer_done(w, by, 0);
    buyer_at(w, by, by->expires_in_s + 0.2, on_expired_timer);
}

static void buyer_reserve(struct crowd *w, struct buyer *by);

static void on_reserve_retry(evutil_socket_t fd, short what, void *arg)
{
    struct buyer *by = arg;

    buyer_reserve(by->crowd, by);
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
    struct crowd *w = q->w;
    struct buyer *by = q->by;
    char order[64];
    int k;

    stats_record(&w->b->stats, OP_RESERVE, status, us, hc_wait_us(r));
    snprintf(order, sizeof order, "o%llu-%u", (unsigned long long)w->cfg->seed, by->id);
    if (status == 200) {
        for (k = 0; k < by->nseats; k++)
            seatview_set(&w->seats, by->seat[k], V_SOLD);
        record_hold(w, by, RES_ACKED, order);
        buyer_done(w, by, 1);
    } else if ((status == 429 || status == 503) && !w->stopping &&
               crowd_elapsed(w) - by->held_at + 2.0 < by->expires_in_s) {
        /* Shed: nothing happened. A checkout tries again after
         * Retry-After while the hold still has time, as a buyer at the
         * payment page would. */
        buyer_at(w, by, retry_after(w, r), on_reserve_retry);
    } else if (status == 410) {
        for (k = 0; k < by->nseats; k++)
            seatview_set(&w->seats, by->seat[k], V_FREE);
        buyer_done(w, by, 0);
    } else if ((status < 0 || status >= 500) && !refused_untouched(status, body, len)) {
        /* the sale may or may not have happened */
        record_hold(w, by, RES_UNKNOWN, order);
        for (k = 0; k < by->nseats; k++)
            seatview_set(&w->seats, by->seat[k], V_TAKEN);
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
    struct crowd *w = q->w;
    struct buyer *by = q->by;
    int k;

    stats_record(&w->b->stats, OP_RELEASE, status, us, hc_wait_us(r));
    if (status == 204 || status == 410) {
        for (k = 0; k < by->nseats; k++)
            seatview_set(&w->seats, by->seat[k], V_FREE);
        buyer_done(w, by, 0);
    } else {
        buyer_abandon(w, by);   /* may still be held: let it expire */
    }
    free(r->body);
    free(q);
}

static void buyer_reserve(struct crowd *w, struct buyer *by)
{
    char path[256], *body = malloc(96);

    snprintf(body, 96, "{\"order_id\":\"o%llu-%u\"}", (unsigned long long)w->cfg->seed, by->id);
    snprintf(path, sizeof path, "/v1/events/%s/holds/%s/reserve", w->b->event, by->hold_id);
    submit(w, by, OP_RESERVE, "POST", path, body, on_reserve);
}

static void on_think_done(evutil_socket_t fd, short what, void *arg)
{
    struct buyer *by = arg;
    struct crowd *w = by->crowd;
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
    struct buyer *by = arg;

    buyer_try_hold(by->crowd, by);
}

static void on_hold(struct hc_req *r, int status, const char *body, size_t len,
                    uint64_t us)
{
    struct breq *q = r->user;
    struct crowd *w = q->w;
    struct buyer *by = q->by;
    /* only a 201's and a 409's bodies are read: under shedding most
     * answers are 503s, and parsing them was a fifth of the generator */
    json_t *j = body && len && (status == 201 || status == 409)
              ? json_loadb(body, len, 0, NULL) : NULL;
    int k, retry = 0, verdict_default = 1;

    stats_record(&w->b->stats, by->kind == K_BEST ? OP_BEST : OP_HOLD, status, us,
                 hc_wait_us(r));
    if (status == 201 && j && by->kind != K_PICK)
        hold_learn(w, by, j);
    if (w->cfg->live_view && status != 201)
        for (k = 0; k < by->nseats; k++)   /* taken ones are marked below */
            if (w->seats.view[by->seat[k]] == V_INFLIGHT)
                seatview_set(&w->seats, by->seat[k], V_FREE);
    if (status == 201 && j) {
        double think = scen_think(w->sc, by->id);
        snprintf(by->hold_id, sizeof by->hold_id, "%s",
                 json_string_value(json_object_get(j, "hold_id")));
        by->expires_in_s = (double)json_integer_value(json_object_get(j, "expires_in_s"));
        by->held_at = crowd_elapsed(w);
        for (k = 0; k < by->nseats; k++)
            seatview_set(&w->seats, by->seat[k], V_HELD);
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
            int32_t at = seatview_find(&w->seats, json_string_value(t), by->seat, by->nseats);
            if (at >= 0 && w->seats.view[at] == V_FREE)
                seatview_set(&w->seats, at, V_TAKEN);
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

/* What a 201 tells a buyer who did not name seats: the seats best
 * available chose (and whether they are together), or its places. */
static void hold_learn(struct crowd *w, struct buyer *by, json_t *j)
{
    json_t *seats = json_object_get(j, "seats"), *s;
    size_t i;

    by->nseats = 0;
    json_array_foreach(seats, i, s) {
        int32_t at = venue_find(w->v, json_string_value(s));
        if (at >= 0 && by->nseats < MAX_PARTY)
            by->seat[by->nseats++] = at;
    }
    if (by->kind == K_BEST) {
        w->b->stats.best_held++;
        w->b->stats.best_together += json_is_true(json_object_get(j, "next_to_each_other"));
    } else {
        w->b->stats.ga_held++;
        w->b->stats.ga_places += by->party;
    }
}

/* The body of a hold that names no seats: best available (in the
 * buyer's preferred section, if any) or places of the area. */
static char *hold_body_unnamed(struct crowd *w, struct buyer *by)
{
    char *body = malloc(1400), wish[1200];
    size_t off;

    if (by->kind == K_BEST && scen_best(w->sc, by->id, by->party, wish, sizeof wish) < 0)
        snprintf(wish, sizeof wish, "%s%s%s", by->prefer >= 0 ? ",\"sections\":[\"" : "",
                 by->prefer >= 0 ? w->v->section_id[by->prefer] : "",
                 by->prefer >= 0 ? "\"]" : "");
    if (by->kind == K_BEST)
        off = (size_t)snprintf(body, 1400, "{\"best_available\":{\"count\":%d%s}", by->party,
                               wish);
    else
        off = (size_t)snprintf(body, 1400, "{\"areas\":[{\"id\":\"%s\",\"quantity\":%d}]",
                               w->v->area, by->party);
    off += (size_t)snprintf(body + off, 1400 - off, ",\"holder\":\"b%u\"", by->id);
    if (w->cfg->hold_ttl_s > 0)
        off += (size_t)snprintf(body + off, 1400 - off, ",\"ttl_s\":%d", w->cfg->hold_ttl_s);
    snprintf(body + off, 1400 - off, "}");
    return body;
}

static void buyer_try_hold(struct crowd *w, struct buyer *by)
{
    int32_t picked[MAX_PARTY];
    int n;
    char path[256], *body;
    size_t cap, off;
    int k;

    if (by->kind != K_PICK) {
        if (w->stopping) {
            buyer_done(w, by, 0);
            return;
        }
        by->nseats = 0;
        snprintf(path, sizeof path, "/v1/events/%s/holds", w->b->event);
        submit(w, by, OP_HOLD, "POST", path, hold_body_unnamed(w, by), on_hold);
        return;
    }
    n = scen_pick(w->sc, by->id, by->party, by->attempt, picked, MAX_PARTY);
    if (n < 0)
        n = seatview_pick(&w->seats, by->party, picked);
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
            if (w->seats.view[picked[k]] == V_FREE)
                seatview_set(&w->seats, picked[k], V_INFLIGHT);
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

/* ---- the waiting room (swarm --queue) ---- */

static void on_queue(struct hc_req *r, int status, const char *body, size_t len,
                     uint64_t us);

static void queue_ask(struct crowd *w, struct buyer *by)
{
    char path[256];

    if (by->ticket[0]) {
        snprintf(path, sizeof path, "/v1/events/%s/queue/%s", w->b->event, by->ticket);
        submit(w, by, OP_QUEUE, "GET", path, NULL, on_queue);
    } else {
        snprintf(path, sizeof path, "/v1/events/%s/queue", w->b->event);
        submit(w, by, OP_QUEUE, "POST", path, NULL, on_queue);
    }
}

static void on_queue_timer(evutil_socket_t fd, short what, void *arg)
{
    struct buyer *by = arg;

    queue_ask(by->crowd, by);
}

/* A join's or a poll's answer: wait as told, buy once admitted, leave
 * when the room says sold_out or the session lapsed. */
static void on_queue(struct hc_req *r, int status, const char *body, size_t len,
                     uint64_t us)
{
    struct breq *q = r->user;
    struct crowd *w = q->w;
    struct buyer *by = q->by;
    json_t *j = status == 200 || status == 201 ? json_loadb(body, len, 0, NULL) : NULL;
    const char *st = json_string_value(json_object_get(j, "status"));
    struct stats *s = &w->b->stats;

    stats_record(s, OP_QUEUE, status, us, hc_wait_us(r));
    if (st && !by->ticket[0]) {                  /* joined */
        snprintf(by->ticket, sizeof by->ticket, "%s",
                 json_string_value(json_object_get(j, "ticket")));
        by->pre = strcmp(st, "waiting") == 0 && !json_object_get(j, "position");
        s->queue_joined++;
        s->queue_pre += by->pre;
    }
    if (st && strcmp(st, "admitted") == 0) {
        const char *tok = json_string_value(json_object_get(j, "admission"));
        const char *dot = tok ? strchr(tok, '.') : NULL;
        size_t n = tok ? strlen(tok) + 16 : 0;
        /* the token's expiry is the admission time plus the session: its
         * order is the server's admission order */
        stats_queue_admitted(s, by->pre, by->arrived, dot ? strtod(dot + 1, NULL) : 0,
                             crowd_elapsed(w) - by->arrived);
        if (tok && (by->admission = malloc(n)))
            snprintf(by->admission, n, "Admission: %s\r\n", tok);
        by->arrived = crowd_elapsed(w);       /* shopping starts: patience from here */
        buyer_try_hold(w, by);
    } else if (st && strcmp(st, "waiting") == 0 && !w->stopping) {
        double wait = r->retry_after_s > 0 ? r->retry_after_s : 1;
        buyer_at(w, by, wait * (0.9 + 0.2 * rng_unit(&w->rng)), on_queue_timer);
    } else if (!st && (status == 429 || status == 503 || status < 0) && !w->stopping) {
        buyer_at(w, by, retry_after(w, r), on_queue_timer);
    } else {
        s->queue_sold_out += st && strcmp(st, "sold_out") == 0;
        buyer_done(w, by, 0);
    }
    json_decref(j);
    free(r->body);
    free(q);
}

void buyer_arrive(struct buyer *by, int party)
{
    struct crowd *w = by->crowd;
    double u = rng_unit(&w->rng);

    by->party = (uint8_t)(party < 1 ? 1 : party > MAX_PARTY ? MAX_PARTY : party);
    /* best available: half of them name a section, the rest take any */
    by->kind = u < w->cfg->p_best ? K_BEST
             : u < w->cfg->p_best + w->cfg->p_ga && w->v->area[0] ? K_GA : K_PICK;
    by->prefer = -1;
    if (by->kind == K_BEST && w->v->nsections && rng_unit(&w->rng) < 0.5)
        by->prefer = (int16_t)rng_range(&w->rng, 0, (long)w->v->nsections - 1);
    if (w->cfg->queue) {
        by->arrived = crowd_elapsed(w);
        queue_ask(w, by);
        return;
    }
    by->arrived = crowd_elapsed(by->crowd);
    buyer_try_hold(by->crowd, by);
}

void buyer_give_up(struct buyer *by)
{
    buyer_done(by->crowd, by, 0);
}
