/* audit — see audit.h. */
#include "audit.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

struct order_fetch {
    struct hc_req r;
    int *left;
    json_t *orders;           /* order id -> [seats] or null (404) */
    json_t *places;           /* order id -> its general-admission places */
    char id[64];
    int failed;
    int shed;                 /* 429/503: ask again after a second */
};

/* A server that sheds load answers the audit's reads with 429/503 too:
 * ask again once a second, this many times. */
#define AUDIT_SHED_TRIES 30
/* Orders are fetched this many at a time: a burst of thousands would be
 * an overload of its own, and a shedding server would refuse most of it. */
#define AUDIT_CONCURRENCY 32

/* Fetches every order of fs[0..n) that still needs it (all, or the shed
 * ones), `conc` at a time. */
static void fetch_orders(struct bench *b, struct order_fetch *fs, size_t n, int shed_only,
                         int conc)
{
    size_t i = 0;
    int *left = n ? fs[0].left : NULL;

    while (i < n) {
        while (i < n && *left < conc) {
            struct order_fetch *f = &fs[i++];
            if (shed_only && !f->shed)
                continue;
            f->shed = 0;
            (*left)++;
            hc_submit(b->pool, &f->r);
        }
        while (*left >= conc || (i == n && *left > 0))
            event_base_loop(b->base, EVLOOP_ONCE);
    }
}

static void on_order(struct hc_req *r, int status, const char *body, size_t len,
                     uint64_t us)
{
    struct order_fetch *f = r->user;
    json_t *j = status == 200 ? json_loadb(body, len, 0, NULL) : NULL;

    if (status == 200 && j) {
        json_t *a;
        size_t i;
        json_int_t n = 0;
        json_object_set(f->orders, f->id, json_object_get(j, "seats"));
        json_array_foreach(json_object_get(j, "areas"), i, a)
            n += json_integer_value(json_object_get(a, "quantity"));
        json_object_set_new(f->places, f->id, json_integer(n));
    }
    else if (status == 404)
        json_object_set_new(f->orders, f->id, json_null());
    else if (status == 429 || status == 503)
        f->shed = 1;
    else
        f->failed = 1;
    json_decref(j);
    (*f->left)--;
}

static void violation(json_t *list, const char *kind, const char *seat, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void violation(json_t *list, const char *kind, const char *seat, const char *fmt, ...)
{
    char ev[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(ev, sizeof ev, fmt, ap);
    va_end(ap);
    json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "kind", kind, "seat", seat,
                                          "evidence", ev));
}

int audit_run(struct bench *b, const struct ledger *l, int wait_expiry, json_t **report)
{
    json_t *map = NULL, *status = json_object(), *orders = json_object();
    json_t *owner = json_object(), *live = json_object(), *v = json_array();
    json_t *lost = json_array(), *places = json_object(), *area;
    long cap = 0, area_held = 0, area_sold = 0, acked_places = 0, live_places = 0;
    long unknown_places = 0;
    json_t *seats, *s, *list, *item;
    struct order_fetch *fetches = NULL;
    char path[256];
    const char *key;
    size_t i, k, nf = 0;
    long acked_seats = 0, reserved = 0, held = 0, unknown_confirmed = 0;
    int left = 0, failed = 0, rc = -1, st, conc;

    *report = NULL;
    if (wait_expiry && l->holds_expire_by_ms > 0) {
        struct timeval tv;
        gettimeofday(&tv, NULL);
        int64_t now = (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
        if (l->holds_expire_by_ms > now) {
            if (!b->quiet)
                fprintf(stderr, "audit: waiting %.1f s for the last holds to expire\n",
                        (double)(l->holds_expire_by_ms - now) / 1000.0);
            usleep((useconds_t)((l->holds_expire_by_ms - now) * 1000));
        }
    }
    snprintf(path, sizeof path, "/v1/events/%s/seats", b->event);
    for (k = 0; k < AUDIT_SHED_TRIES; k++) {
        st = bench_fetch(b, "GET", path, NULL, &map);
        if (st != 429 && st != 503)
            break;
        {
            json_t *e = json_object_get(json_object_get(map, "error"), "code");
            fprintf(stderr, "audit: the seat map read was refused (%d %s); again in 1 s\n", st,
                    json_is_string(e) ? json_string_value(e) : "?");
        }
        json_decref(map);
        map = NULL;
        sleep(1);
    }
    seats = json_object_get(map, "seats");
    if (st != 200 || !json_is_array(seats)) {
        fprintf(stderr, "audit: GET %s answered %d\n", path, st);
        goto done;
    }
    json_array_foreach(json_object_get(map, "areas"), i, area) {
        json_t *c = json_object_get(area, "counts");
        cap += (long)json_integer_value(json_object_get(area, "capacity"));
        area_held += (long)json_integer_value(json_object_get(c, "held"));
        area_sold += (long)json_integer_value(json_object_get(c, "reserved"));
    }
    json_array_foreach(seats, i, s) {
        const char *stt = json_string_value(json_object_get(s, "status"));
        json_object_set_new(status, json_string_value(json_object_get(s, "id")),
                            json_string(stt ? stt : "?"));
        if (stt && strcmp(stt, "reserved") == 0)
            reserved++;
        if (stt && strcmp(stt, "held") == 0)
            held++;
    }
    /* Every order the bench knows of. */
    fetches = calloc(l->n + 1, sizeof *fetches);
    for (i = 0; i < l->n; i++) {
        const struct ledger_entry *e = &l->e[i];
        /* A reserve whose answer was lost (or refused and not tried
         * again) may have sold the seats, or left its hold live. */
        if (e->state == RES_LIVE_HOLD || e->state == RES_UNKNOWN) {
            for (k = 0; k < (size_t)e->nseats; k++)
                json_object_set_new(live, e->seats[k], json_string(e->hold_id));
            live_places += e->places;
        }
        if (e->state == RES_LIVE_HOLD)
            continue;
        if (json_object_get(orders, e->order_id))
            continue;
        json_object_set_new(orders, e->order_id, json_null());
        struct order_fetch *f = &fetches[nf++];
        f->r.method = "GET";
        snprintf(f->r.path, sizeof f->r.path, "/v1/events/%s/orders/%s", b->event, e->order_id);
        snprintf(f->id, sizeof f->id, "%s", e->order_id);
        f->r.cb = on_order;
        f->r.user = f;
        f->left = &left;
        f->orders = orders;
        f->places = places;
    }
    fetch_orders(b, fetches, nf, 0, AUDIT_CONCURRENCY);
    for (k = 0, conc = AUDIT_CONCURRENCY; k < AUDIT_SHED_TRIES; k++) {
        int again = 0;
        for (i = 0; i < nf; i++)
            again += fetches[i].shed;
        if (!again)
            break;
        /* refused: ask again after a second, and fewer at a time (a
         * server with a small in-flight limit admits only a few) */
        conc = conc > 1 ? conc / 2 : 1;
        sleep(1);
        fetch_orders(b, fetches, nf, 1, conc);
    }
    for (i = 0; i < nf; i++)
        failed |= fetches[i].failed | fetches[i].shed;
    if (failed) {
        for (i = 0; i < nf && !(fetches[i].failed | fetches[i].shed); i++)
            ;
        fprintf(stderr, "audit: GET %s failed%s\n", i < nf ? fetches[i].r.path : "an order",
                i < nf && fetches[i].shed ? " (still refused after retries)" : "");
        goto done;
    }

    /* Who owns each reserved seat, by the server's orders. */
    json_object_foreach(orders, key, list) {
        json_array_foreach(list, i, item) {
            const char *seat = json_string_value(item);
            json_t *prev = json_object_get(owner, seat);
            if (prev)
                violation(v, "double_sale", seat, "seat is in order %s and in order %s",
                          json_string_value(prev), key);
            else
                json_object_set_new(owner, seat, json_string(key));
        }
    }
    /* Every acknowledged sale must be on the books. */
    for (i = 0; i < l->n; i++) {
        const struct ledger_entry *e = &l->e[i];
        if (e->state != RES_ACKED)
            continue;
        for (k = 0; k < (size_t)e->nseats; k++) {
            const char *seat = e->seats[k];
            const char *stt = json_string_value(json_object_get(status, seat));
            json_t *who = json_object_get(owner, seat);
            acked_seats++;
            if (!stt || strcmp(stt, "reserved") != 0)
                violation(v, "lost_reservation", seat,
                          "reserve of hold %s to order %s was acknowledged (200) but the seat is %s",
                          e->hold_id, e->order_id, stt ? stt : "missing");
            else if (!who || strcmp(json_string_value(who), e->order_id) != 0)
                violation(v, "lost_reservation", seat,
                          "acknowledged for order %s but the server lists it under %s",
                          e->order_id, who ? json_string_value(who) : "no order of the bench");
        }
    }
    /* General-admission places: every acknowledged one on its order's
     * books, the area's sold count explained by the sales, never more
     * places held and sold than the areas have. */
    for (i = 0; i < l->n; i++) {
        const struct ledger_entry *e = &l->e[i];
        long on_books;
        if (!e->places || (e->state != RES_ACKED && e->state != RES_UNKNOWN))
            continue;
        on_books = (long)json_integer_value(json_object_get(places, e->order_id));
        if (e->state == RES_UNKNOWN) {
            unknown_places += on_books < e->places ? on_books : e->places;
            continue;
        }
        acked_places += e->places;
        if (on_books < e->places)
            violation(v, "lost_reservation", "area",
                      "reserve of hold %s to order %s was acknowledged (200) with %d places, "
                      "but the order has %ld", e->hold_id, e->order_id, e->places, on_books);
    }
    if (area_sold + area_held > cap)
        violation(v, "over_capacity", "area", "%ld places sold and %ld held, of %ld",
                  area_sold, area_held, cap);
    if (area_sold != acked_places + unknown_places)
        violation(v, "count_mismatch", "area",
                  "%ld places sold, but %ld acknowledged + %ld from lost answers",
                  area_sold, acked_places, unknown_places);
    if (area_held && wait_expiry)
        violation(v, "held_after_expiry", "area",
                  "every hold of the run has expired but %ld places are still held", area_held);
    else if (area_held > live_places)
        violation(v, "unaccounted_hold", "area",
                  "%ld places held but the bench has holds of at most %ld that may be live",
                  area_held, live_places);
    /* Sales whose answer was lost: listed, with what the books say. */
    for (i = 0; i < l->n; i++) {
        const struct ledger_entry *e = &l->e[i];
        json_t *on_books;
        if (e->state != RES_UNKNOWN)
            continue;
        on_books = json_array();
        for (k = 0; k < (size_t)e->nseats; k++) {
            json_t *who = json_object_get(owner, e->seats[k]);
            if (who && strcmp(json_string_value(who), e->order_id) == 0) {
                unknown_confirmed++;
                json_array_append_new(on_books, json_string(e->seats[k]));
            }
        }
        json_array_append_new(lost, json_pack("{s:s, s:s, s:o}", "order_id", e->order_id,
                                              "hold_id", e->hold_id, "seats_on_books", on_books));
    }
    /* Every reserved or held seat must be explained by the ledger. */
    json_object_foreach(status, key, item) {
        const char *stt = json_string_value(item);
        if (strcmp(stt, "reserved") == 0 && !json_object_get(owner, key))
            violation(v, "unaccounted_reservation", key,
                      "the seat is reserved but no sale the bench made or lost explains it");
        if (strcmp(stt, "held") == 0 && wait_expiry)
            violation(v, "held_after_expiry", key,
                      "every hold of the run has expired but the seat is still held");
        else if (strcmp(stt, "held") == 0 && !json_object_get(live, key))
            violation(v, "unaccounted_hold", key,
                      "the seat is held but the bench has no hold that may still be live on it");
    }
    if (reserved != acked_seats + unknown_confirmed && json_array_size(v) == 0)
        violation(v, "count_mismatch", "-",
                  "%ld seats reserved, but %ld acknowledged + %ld from lost answers",
                  reserved, acked_seats, unknown_confirmed);
    b->stats.seats_total = (long)json_array_size(seats);
    b->stats.seats_sold = reserved;
    b->stats.seats_held_end = held;
    *report = json_pack("{s:b, s:O, s:O, s:I, s:I, s:I, s:I, s:I}", "ok", json_array_size(v) == 0,
                        "violations", v, "lost_answers", lost,
                        "acked_seats", (json_int_t)acked_seats,
                        "unknown_confirmed_seats", (json_int_t)unknown_confirmed,
                        "reserved_seats", (json_int_t)reserved, "held_seats", (json_int_t)held,
                        "orders_checked", (json_int_t)nf);
    if (cap)
        json_object_set_new(*report, "areas", json_pack("{s:I, s:I, s:I, s:I}", "capacity",
                            (json_int_t)cap, "reserved_places", (json_int_t)area_sold,
                            "held_places", (json_int_t)area_held,
                            "acked_places", (json_int_t)acked_places));
    rc = json_array_size(v) == 0 ? 0 : 1;
done:
    free(fetches);
    json_decref(map);
    json_decref(status);
    json_decref(orders);
    json_decref(owner);
    json_decref(live);
    json_decref(v);
    json_decref(lost);
    json_decref(places);
    return rc;
}
