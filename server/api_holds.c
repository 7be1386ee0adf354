/* api_holds — see api_holds.h. */
#include "api_holds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admission.h"
#include "api_common.h"
#include "app.h"
#include "config.h"
#include "validate.h"
#include "guard.h"
#include "metrics.h"
#include "replies.h"
#include "util.h"

#define HOLD_SEATS_MAX 1000     /* hard cap; events set a lower one */
#define TTL_MAX 7 * 86400

/* Hold answers are written by hand into one buffer: json_pack and
 * json_dumpb were a third of usherd's instructions per hold or release
 * (callgrind). Every string in them is an id, a hold token or a fixed
 * word ([A-Za-z0-9._:-]), so none needs escaping. */
#define PUT(p, end, lit) util_put(p, end, lit, sizeof lit - 1)

static void put_str(char **p, const char *end, const char *s, size_t n)
{
    PUT(p, end, "\"");
    util_put(p, end, s, n);
    PUT(p, end, "\"");
}

/* ,"key": */
static void put_key(char **p, const char *end, const char *key)
{
    PUT(p, end, ",\"");
    util_put(p, end, key, strlen(key));
    PUT(p, end, "\":");
}

/* ,"key":"value" */
static void put_field(char **p, const char *end, const char *key, const char *s, size_t n)
{
    put_key(p, end, key);
    put_str(p, end, s, n);
}

/* ,"key":[...] from a comma-separated list; with `always`, also when empty. */
static void put_list(char **p, const char *end, const char *key, struct rstr list, int always)
{
    size_t i = 0, start;
    int first = 1;

    if (!list.len && !always)
        return;
    put_key(p, end, key);
    PUT(p, end, "[");
    while (i < list.len) {
        start = i;
        while (i < list.len && list.s[i] != ',')
            i++;
        if (i > start) {
            if (!first)
                PUT(p, end, ",");
            put_str(p, end, list.s + start, i - start);
            first = 0;
        }
        i++;
    }
    PUT(p, end, "]");
}

/* ,"areas":[{"id":"floor","quantity":4},...] from "<id>=<n>,..." (none: nothing). */
static void put_areas(char **p, const char *end, struct rstr list)
{
    size_t i = 0, start, eq;

    if (!list.len)
        return;
    put_key(p, end, "areas");
    PUT(p, end, "[");
    while (i < list.len) {
        start = eq = i;
        while (i < list.len && list.s[i] != ',')
            i++;
        while (eq < i && list.s[eq] != '=')
            eq++;
        if (start)
            PUT(p, end, ",");
        PUT(p, end, "{\"id\":");
        put_str(p, end, list.s + start, eq - start);
        PUT(p, end, ",\"quantity\":");
        util_put(p, end, list.s + eq + 1, i > eq ? i - eq - 1 : 0);
        PUT(p, end, "}");
        i++;
    }
    PUT(p, end, "]");
}

/* Room enough for any answer about hold v of `event`. */
static size_t hold_cap(const char *event, const struct hold_view *v)
{
    /* a list of k ids in l bytes takes at most l + 2k + 2 written */
    return 320 + strlen(event) + v->quality.len + v->id.len + v->holder.len + v->order.len +
           3 * v->refunded.len + 3 * v->seats.len + 16 * v->areas.len;
}

/* The hold's JSON (held with its expiry, or reserved/refunded with its
 * order and the seats still sold to it), in the order the API has always
 * listed its fields. Returns the end of what was written. */
static char *hold_write(char *p, size_t cap, const char *event, const struct hold_view *v,
                        const char *replication)
{
    const char *end = p + cap;
    char num[24];

    PUT(&p, end, "{\"hold_id\":");
    put_str(&p, end, v->id.s, v->id.len);
    put_field(&p, end, "event", event, strlen(event));
    put_field(&p, end, "status", v->state.s, v->state.len);
    put_list(&p, end, "seats", v->seats, 1);
    put_areas(&p, end, v->areas);
    if (v->holder.len)
        put_field(&p, end, "holder", v->holder.s, v->holder.len);
    if (v->together >= 0) {
        put_key(&p, end, "next_to_each_other");
        if (v->together)
            PUT(&p, end, "true");
        else
            PUT(&p, end, "false");
        put_key(&p, end, "quality");
        util_put(&p, end, v->quality.s, v->quality.len);
    }
    if (replies_is(v->state, "reserved") || replies_is(v->state, "refunded")) {
        put_field(&p, end, "order_id", v->order.s, v->order.len);
        put_list(&p, end, "refunded", v->refunded, 0);
    } else {
        char when[40];
        long long left = v->expires_ms - v->now_ms;
        util_format_rfc3339(v->expires_ms, when, sizeof when);
        put_field(&p, end, "expires_at", when, strlen(when));
        put_key(&p, end, "expires_in_s");
        util_put(&p, end, num, (size_t)(util_put_uint(num, left > 0 ? (unsigned long long)(left + 999) / 1000 : 0) - num));
    }
    PUT(&p, end, "}\n");
    return p;
}

/* The reservation's JSON: the order, the hold and the seats it sold; with
 * --reserve-wait, whether replicas confirmed it. */
static char *reservation_write(char *p, size_t cap, const char *event,
                               const struct hold_view *v, const char *replication)
{
    const char *end = p + cap;

    PUT(&p, end, "{\"event\":");
    put_str(&p, end, event, strlen(event));
    put_field(&p, end, "order_id", v->order.s, v->order.len);
    put_field(&p, end, "hold_id", v->id.s, v->id.len);
    put_list(&p, end, "seats", v->seats, 1);
    put_areas(&p, end, v->areas);
    put_list(&p, end, "refunded", v->refunded, 0);
    if (replication)
        put_field(&p, end, "replication", replication, strlen(replication));
    PUT(&p, end, "}\n");
    return p;
}

/* Answers r with the JSON `write` makes of hold v (and `replication`:
 * NULL, "confirmed" or "unconfirmed"). */
static void reply_written(struct req *r, int status, const struct hold_view *v,
                          const char *replication,
                          char *(*write)(char *, size_t, const char *,
                                         const struct hold_view *, const char *))
{
    char stack[2048], *buf = stack, *end;
    size_t cap = hold_cap(r->event, v);

    if (cap > sizeof stack && !(buf = malloc(cap))) {
        http_reply_error(r, ERR_INTERNAL, NULL, NULL);
        return;
    }
    end = write(buf, cap > sizeof stack ? cap : sizeof stack, r->event, v, replication);
    http_reply_bytes(r, status, "application/json", buf, (size_t)(end - buf));
    if (buf != stack)
        free(buf);
}

/* Decodes a hold-script reply into v, or answers r (the script's error,
 * or 500 for a reply of another shape) and returns 0. */
static int hold_reply_ok(struct req *r, enum store_status st, const redisReply *reply,
                         struct hold_view *v)
{
    if (!api_reply_ok(r, st, reply, REDIS_REPLY_STRING, 0))
        return 0;
    if (replies_hold(reply, v) < 0) {
        http_reply_error(r, ERR_INTERNAL, NULL, NULL);
        return 0;
    }
    return 1;
}

/* Answers `status` with the hold of a successful hold-script reply,
 * counting it as `change` in the metrics (-1: not counted). */
static void reply_hold(struct req *r, int status, enum store_status st,
                       const redisReply *reply, int change)
{
    struct hold_view v;

    if (!hold_reply_ok(r, st, reply, &v))
        return;
    if (change >= 0)
        metrics_hold((enum hold_change)change, 1);
    reply_written(r, status, &v, NULL, hold_write);
}

/* ---- POST /v1/events/{event}/holds ---- */

static void on_hold_create(void *arg, enum store_status st, const redisReply *reply)
{
    struct req *r = arg;
    struct hold_view v;

    if (!hold_reply_ok(r, st, reply, &v))
        return;
    if (v.replay == 0)          /* not the replay of an idempotent retry */
        metrics_hold(HOLD_CREATED, 1);
    reply_written(r, 201, &v, NULL, hold_write);
}

/* A boolean member of o, or def when absent: 0, or -1 with e filled. */
static int best_bool(json_t *o, const char *key, int def, int *out, struct verr *e)
{
    json_t *v = json_object_get(o, key);

    *out = def;
    if (!v)
        return 0;
    if (!json_is_boolean(v))
        return validate_fail(e, ERR_INVALID_REQUEST,
                             "Field \"best_available.%s\" must be true or false.", key);
    *out = json_is_true(v);
    return 0;
}

/* best_available.<key>: up to HOLD_FILTERS_MAX names (ids for sections,
 * 1 to 64 printable characters for categories) into list. */
static int best_names(json_t *o, const char *key, int ids, const char **list, size_t *n,
                      struct verr *e)
{
    json_t *arr = json_object_get(o, key), *v;
    size_t i;

    *n = 0;
    if (!arr)
        return 0;
    if (!json_is_array(arr) || json_array_size(arr) > HOLD_FILTERS_MAX)
        return validate_fail(e, ERR_INVALID_REQUEST,
                             "Field \"best_available.%s\" must be an array of at most %d names.",
                             key, HOLD_FILTERS_MAX);
    json_array_foreach(arr, i, v) {
        const char *s = json_string_value(v);
        size_t len = json_string_length(v), k;
        int ok = s && len >= 1 && len <= (ids ? ID_MAX : 64);
        for (k = 0; ok && k < len; k++)
            ok = (unsigned char)s[k] >= 0x20 && s[k] != 0x7f;
        if (ok && ids)
            ok = validate_id(s, len, ID_MAX);
        if (!ok)
            return validate_fail(e, ERR_INVALID_REQUEST,
                                 "best_available.%s[%zu] must be a %s.", key, i,
                                 ids ? "section id" : "category name of 1 to 64 characters");
        list[(*n)++] = s;
    }
    return 0;
}

static int best_args(json_t *best, struct hold_args *a, struct verr *e)
{
    static const char *const keys[] = {"count", "sections", "categories", "together",
                                       "allow_split", "accessible", NULL};

    if (!json_is_object(best))
        return validate_fail(e, ERR_INVALID_REQUEST, "Field \"best_available\" must be an object.");
    a->best = 1;
    if (validate_keys(best, keys, e) < 0 ||
        validate_int(best, "count", 1, 1, HOLD_SEATS_MAX, ERR_INVALID_SEAT_COUNT, &a->count, e) < 0 ||
        validate_int(best, "accessible", 0, 0, HOLD_SEATS_MAX, ERR_INVALID_REQUEST, &a->accessible,
                     e) < 0 ||
        best_bool(best, "together", 1, &a->together, e) < 0 ||
        best_bool(best, "allow_split", 0, &a->allow_split, e) < 0 ||
        best_names(best, "sections", 1, a->sections, &a->nsections, e) < 0 ||
        best_names(best, "categories", 0, a->categories, &a->ncategories, e) < 0)
        return -1;
    if (a->accessible > a->count)
        return validate_fail(e, ERR_INVALID_REQUEST,
                             "Field \"best_available.accessible\" is at most its \"count\".");
    return 0;
}

int api_hold_create_args(json_t *body, struct hold_args *a, struct verr *e)
{
    static const char *const keys[] = {"seats", "areas", "best_available", "holder", "ttl_s",
                                       "suggest", NULL};
    json_t *sug = json_object_get(body, "suggest");
    json_t *best = json_object_get(body, "best_available");
    int areas = json_object_get(body, "areas") != NULL;

    memset(a, 0, sizeof *a);
    if (validate_keys(body, keys, e) < 0)
        return -1;
    if (best && (json_object_get(body, "seats") || areas))
        return validate_fail(e, ERR_INVALID_REQUEST,
                             "Give \"seats\" and \"areas\", or \"best_available\", not both.");
    if (sug && (!json_is_boolean(sug) || best))
        return validate_fail(e, ERR_INVALID_REQUEST,
                             "Field \"suggest\" is true or false, for named seats only.");
    a->suggest = json_is_true(sug);
    if ((best ? best_args(best, a, e)
              : validate_seats_at(body, "seats", areas ? 0 : 1, HOLD_SEATS_MAX, &a->seats,
                                  &a->nseats, e)) < 0 ||
        validate_area_tokens(body, "areas", 1, HOLD_SEATS_MAX, &a->areas, &a->nareas, e) < 0 ||
        validate_string(body, "holder", 0, ID_MAX, 1, &a->holder, e) < 0 ||
        validate_int(body, "ttl_s", 0, 1, TTL_MAX, ERR_INVALID_TTL, &a->ttl_s, e) < 0) {
        free(a->seats);
        free(a->areas);
        a->seats = a->areas = NULL;
        return -1;
    }
    return 0;
}

int api_hold_extend_args(json_t *body, json_int_t *ttl_s, struct verr *e)
{
    static const char *const keys[] = {"ttl_s", NULL};

    *ttl_s = 0;
    if (validate_keys(body, keys, e) < 0 ||
        validate_int(body, "ttl_s", 1, 1, TTL_MAX, ERR_INVALID_TTL, ttl_s, e) < 0)
        return -1;
    return 0;
}

int api_hold_reserve_args(json_t *body, const char **order_id, struct verr *e)
{
    static const char *const keys[] = {"order_id", NULL};

    *order_id = NULL;
    if (validate_keys(body, keys, e) < 0 ||
        validate_string(body, "order_id", 1, ORDER_ID_MAX, 1, order_id, e) < 0)
        return -1;
    return 0;
}

/* The field under which an Idempotency-Key is kept (usher:{E}:idem):
 * the key in the scope of the API key and the holder, as payment APIs
 * scope theirs, so that whoever learns or guesses a key ("cart-81") and
 * the seats cannot replay another caller's hold and learn its id, the
 * capability to reserve or release it. "<key id>|<holder>|<key>", or the
 * key alone with neither: scoped by the event only. */
static const char *idem_scope(struct req *r, const char *ikey, const char *holder, char *buf,
                              size_t cap)
{
    if (!r->key_id && !holder[0])
        return ikey;
    snprintf(buf, cap, "%s|%s|%s", r->key_id ? r->key_id : "", holder, ikey);
    return buf;
}

/* The Admission header of a hold, checked without Redis (admission.h):
 * into adm (ID_MAX + 32 bytes) as the script's "!<ticket>=<expires ms>",
 * "" without one (or when this usherd has no queue secret: then no event
 * has a waiting room). 0, or -1 after answering 403. */
static int admission_arg(struct req *r, char *adm)
{
    const struct config *cfg = r->app->cfg;
    const char *tok = http_header(r, "Admission");
    struct admission a;

    adm[0] = '\0';
    if (!tok || !cfg->queue_secret[0])
        return 0;
    switch (admission_check(cfg->queue_secret, cfg->queue_secret_old[0] ? cfg->queue_secret_old
                                                                          : NULL,
                            r->event, tok, util_wall_ms(), &a)) {
    case ADMISSION_BAD:
        http_reply_error(r, ERR_ADMISSION_INVALID, NULL, NULL);
        return -1;
    case ADMISSION_LAPSED:
        http_reply_error(r, ERR_ADMISSION_EXPIRED, NULL, NULL);
        return -1;
    default:
        snprintf(adm, ID_MAX + 32, "!%s=%lld", a.ticket, (long long)a.expires_ms);
        return 0;
    }
}

/* Sends the best-available hold `a` as hold_batch's B: the fingerprint
 * of a keyed request is its whole choice ("B|count|..."), so a retry with
 * other wishes is a reuse of the key. */
static void hold_best(struct req *r, const struct hold_args *a, const char *hid,
                      const char *holder, const char *ttl, const char *ikey_field,
                      const char *adm)
{
    const char *argv[13 + 2 * HOLD_FILTERS_MAX];
    char count[24], acc[24], nsec[24], ncat[24];
    char fp[64 + 2 * HOLD_FILTERS_MAX * 66 + 2 * ID_MAX], *p = fp;
    const char *end = fp + sizeof fp - 1;
    int argc = 0;
    size_t i;

    *util_put_uint(count, (unsigned long long)a->count) = '\0';
    *util_put_uint(acc, (unsigned long long)a->accessible) = '\0';
    *util_put_uint(nsec, a->nsections) = '\0';
    *util_put_uint(ncat, a->ncategories) = '\0';
    p += snprintf(p, (size_t)(end - p), "B|%s|%d|%d|%s|", count, a->together, a->allow_split, acc);
    for (i = 0; i < a->nsections; i++)
        p += snprintf(p, (size_t)(end - p), "%s,", a->sections[i]);
    PUT(&p, end, "|");
    for (i = 0; i < a->ncategories; i++)
        p += snprintf(p, (size_t)(end - p), "%s,", a->categories[i]);
    p += snprintf(p, (size_t)(end - p), "|%s|%s", holder, ttl);
    *p = '\0';
    argv[argc++] = hid;
    argv[argc++] = holder;
    argv[argc++] = ttl;
    argv[argc++] = ikey_field;
    argv[argc++] = ikey_field[0] ? fp : "";
    argv[argc++] = count;
    argv[argc++] = a->together ? "1" : "0";
    argv[argc++] = a->allow_split ? "1" : "0";
    argv[argc++] = acc;
    argv[argc++] = nsec;
    for (i = 0; i < a->nsections; i++)
        argv[argc++] = a->sections[i];
    argv[argc++] = ncat;
    for (i = 0; i < a->ncategories; i++)
        argv[argc++] = a->categories[i];
    argv[argc++] = adm[0] ? adm + 1 : "";       /* "<ticket>=<expires ms>" */
    api_batch(r, BATCH_BEST, argc, argv, (size_t)a->count, on_hold_create);
}

void api_hold_create(struct req *r)
{
    struct verr e = {0};
    struct hold_args a;
    const char **argv = NULL, *holder, *ikey;
    size_t i, fplen = 0;
    char hid[23], ttlbuf[24] = "", count[24], *fp = NULL;
    char scoped[GUARD_KEY_ID_LEN + ID_MAX * 2 + 4], adm[ID_MAX + 32] = "";
    int more;

    if (api_hold_create_args(r->body, &a, &e) < 0)
        goto invalid;
    if (admission_arg(r, adm) < 0)
        goto done;
    holder = a.holder ? a.holder : "";
    ikey = http_header(r, "Idempotency-Key");
    if (ikey && !validate_id(ikey, strlen(ikey), ID_MAX)) {
        e.code = ERR_INVALID_IDEMPOTENCY_KEY;
        goto invalid;
    }
    if (a.ttl_s)       /* 1..TTL_MAX */
        *util_put_uint(ttlbuf, (unsigned long long)a.ttl_s) = '\0';
    if (util_random_token(hid) < 0) {
        util_log("error", "getrandom failed");
        http_reply_error(r, ERR_INTERNAL, NULL, NULL);
        goto done;
    }
    if (a.best) {
        hold_best(r, &a, hid, holder, ttlbuf,
                  ikey ? idem_scope(r, ikey, holder, scoped, sizeof scoped) : "", adm);
        goto done;
    }
    /* The areas' tokens follow the seats, then "!<admission>", then "?"
     * for suggest: the script tells them apart (no id holds '@', '!' or
     * '?') */
    more = a.nareas || a.suggest || adm[0];
    if (more) {
        const char **all = realloc(a.seats, sizeof *all * (a.nseats + a.nareas + 2));
        if (!all) {
            http_reply_error(r, ERR_INTERNAL, NULL, NULL);
            goto done;
        }
        if (a.nareas)
            memcpy(all + a.nseats, a.areas, sizeof *all * a.nareas);
        a.seats = all;
        a.nseats += a.nareas;
        if (adm[0])
            a.seats[a.nseats++] = adm;
        if (a.suggest)
            a.seats[a.nseats++] = "?";
    }
    /* The fingerprint tells a retry (same body) from a reuse of the key:
     * only a request with a key needs one. */
    for (i = 0; ikey && i < a.nseats; i++)
        fplen += strlen(a.seats[i]) + 1;
    fp = malloc(fplen + ID_MAX + 32);
    argv = malloc(sizeof *argv * (a.nseats + 6));
    if (!fp || !argv) {
        http_reply_error(r, ERR_INTERNAL, NULL, NULL);
        goto done;
    }
    fp[0] = '\0';
    if (ikey) {
        fplen = 0;
        for (i = 0; i < a.nseats; i++)
            fplen += (size_t)sprintf(fp + fplen, "%s,", a.seats[i]);
        sprintf(fp + fplen, "|%s|%s", holder, ttlbuf);
    }
    *util_put_uint(count, a.nseats) = '\0';
    argv[0] = hid;
    if (!holder[0] && !ttlbuf[0] && !ikey && !more) {
        /* the common case: four arguments fewer */
        argv[1] = count;
        memcpy(argv + 2, a.seats, sizeof *a.seats * a.nseats);
        api_batch(r, BATCH_HOLD_BARE, (int)(a.nseats + 2), argv, a.nseats, on_hold_create);
        goto done;
    }
    argv[1] = holder;
    argv[2] = ttlbuf;
    argv[3] = ikey ? idem_scope(r, ikey, holder, scoped, sizeof scoped) : "";
    argv[4] = fp;
    argv[5] = count;
    memcpy(argv + 6, a.seats, sizeof *a.seats * a.nseats);
    api_batch(r, more ? BATCH_HOLD_MORE : BATCH_HOLD, (int)(a.nseats + 6), argv,
              a.nseats, on_hold_create);
    goto done;
invalid:
    http_reply_verr(r, &e);
done:
    free(a.seats);
    free(a.areas);
    free(argv);
    free(fp);
}

/* ---- GET /v1/events/{event}/holds/{hold} ---- */

static void on_hold_ok(void *arg, enum store_status st, const redisReply *reply)
{
    reply_hold(arg, 200, st, reply, -1);
}

static void on_hold_extend(void *arg, enum store_status st, const redisReply *reply)
{
    reply_hold(arg, 200, st, reply, HOLD_EXTENDED);
}

void api_hold_get(struct req *r)
{
    const char *argv[] = {r->hold};

    api_batch(r, BATCH_GET, 1, argv, 0, on_hold_ok);
}

/* ---- POST /v1/events/{event}/holds/{hold}/extend ---- */

void api_hold_extend(struct req *r)
{
    struct verr e = {0};
    json_int_t ttl = 0;
    char buf[24];
    const char *argv[2];

    if (api_hold_extend_args(r->body, &ttl, &e) < 0) {
        http_reply_verr(r, &e);
        return;
    }
    *util_put_uint(buf, (unsigned long long)ttl) = '\0';    /* 1..TTL_MAX */
    argv[0] = r->hold;
    argv[1] = buf;
    api_batch(r, BATCH_EXTEND, 2, argv, 0, on_hold_extend);
}

/* ---- POST /v1/events/{event}/holds/{hold}/seats ---- */


int api_hold_change_args(json_t *body, const char ***add, size_t *nadd, const char ***remove,
                         size_t *nremove, const char ***areas, size_t *nareas, struct verr *e)
{
    static const char *const keys[] = {"add", "remove", "areas", NULL};
    const char **all;
    size_t i;

    *add = *remove = *areas = NULL;
    *nadd = *nremove = *nareas = 0;
    if (validate_keys(body, keys, e) < 0 ||
        validate_seats_at(body, "add", 0, HOLD_SEATS_MAX, add, nadd, e) < 0 ||
        validate_seats_at(body, "remove", 0, HOLD_SEATS_MAX, remove, nremove, e) < 0 ||
        validate_area_tokens(body, "areas", 0, HOLD_SEATS_MAX, areas, nareas, e) < 0)
        goto fail;
    if (*nadd + *nremove + *nareas == 0) {
        validate_fail(e, ERR_INVALID_REQUEST,
                      "Give seats to \"add\" or to \"remove\", or \"areas\" quantities.");
        goto fail;
    }
    /* Each list is free of repeats, so a repeat in both sorted together
     * is a seat in both: n log n, where pairs were 1,000,000 compares. */
    all = malloc(sizeof *all * (*nadd + *nremove));
    if (!all) {
        validate_fail(e, ERR_INTERNAL, "Out of memory.");
        goto fail;
    }
    if (*nadd)
        memcpy(all, *add, sizeof *all * *nadd);
    if (*nremove)
        memcpy(all + *nadd, *remove, sizeof *all * *nremove);
    qsort(all, *nadd + *nremove, sizeof *all, validate_cmp_ids);
    for (i = 1; i < *nadd + *nremove; i++)
        if (strcmp(all[i - 1], all[i]) == 0) {
            validate_fail(e, ERR_INVALID_REQUEST, "Seat \"%s\" is both added and removed.",
                          all[i]);
            free(all);
            goto fail;
        }
    free(all);
    return 0;
fail:
    free(*add);
    free(*remove);
    free(*areas);
    *add = *remove = *areas = NULL;
    *nadd = *nremove = *nareas = 0;
    return -1;
}

static void on_hold_change(void *arg, enum store_status st, const redisReply *reply)
{
    reply_hold(arg, 200, st, reply, HOLD_CHANGED);
}

void api_hold_change(struct req *r)
{
    struct verr e = {0};
    const char **add, **remove, **areas, **argv;
    size_t nadd, nremove, nareas, n;
    char na[24], nr[24];

    if (api_hold_change_args(r->body, &add, &nadd, &remove, &nremove, &areas, &nareas, &e) < 0) {
        http_reply_verr(r, &e);
        return;
    }
    n = nadd + nareas;      /* the areas' tokens follow the seats to add */
    argv = malloc(sizeof *argv * (n + nremove + 3));
    if (!argv) {
        http_reply_error(r, ERR_INTERNAL, NULL, NULL);
        goto done;
    }
    *util_put_uint(na, n) = '\0';
    *util_put_uint(nr, nremove) = '\0';
    argv[0] = r->hold;
    argv[1] = na;
    if (nadd)
        memcpy(argv + 2, add, sizeof *add * nadd);
    if (nareas)
        memcpy(argv + 2 + nadd, areas, sizeof *areas * nareas);
    argv[2 + n] = nr;
    if (nremove)
        memcpy(argv + 3 + n, remove, sizeof *remove * nremove);
    api_batch(r, BATCH_CHANGE, (int)(n + nremove + 3), argv, n + nremove, on_hold_change);
done:
    free(argv);
    free(add);
    free(remove);
    free(areas);
}

/* ---- POST /v1/events/{event}/holds/{hold}/reserve ---- */

static void on_hold_reserve(void *arg, enum store_status st, const redisReply *reply)
{
    struct req *r = arg;
    struct hold_view v;

    const char *replication = NULL;

    if (!hold_reply_ok(r, st, reply, &v))
        return;
    metrics_hold(HOLD_RESERVED, 1);
    if (r->app->cfg->reserve_wait_n) {
        /* the sale stands either way; the answer only says which */
        int ok = r->replicas >= r->app->cfg->reserve_wait_n;
        metrics_reserve_replication(ok);
        replication = ok ? "confirmed" : "unconfirmed";
    }
    reply_written(r, 200, &v, replication, reservation_write);
}

void api_hold_reserve(struct req *r)
{
    struct verr e = {0};
    const char *order, *argv[2];

    if (api_hold_reserve_args(r->body, &order, &e) < 0) {
        http_reply_verr(r, &e);
        return;
    }
    argv[0] = r->hold;
    argv[1] = order;
    api_batch(r, BATCH_RESERVE, 2, argv, 0, on_hold_reserve);
}

/* ---- DELETE /v1/events/{event}/holds/{hold} ---- */

static void on_hold_release(void *arg, enum store_status st, const redisReply *reply)
{
    struct req *r = arg;

    if (api_reply_ok(r, st, reply, REDIS_REPLY_INTEGER, 0)) {
        metrics_hold(HOLD_RELEASED, 1);
        http_reply_empty(r, 204);
    }
}

void api_hold_release(struct req *r)
{
    const char *argv[] = {r->hold};

    api_batch(r, BATCH_RELEASE, 1, argv, 0, on_hold_release);
}
