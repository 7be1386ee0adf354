/* api_events — see api_events.h. */
#include "api_events.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_common.h"
#include "validate.h"
#include "app.h"
#include "config.h"
#include "events.h"
#include "replies.h"
#include "picks.h"
#include "seatmap.h"
#include "util.h"

/* The GET /v1/events/{event} body from an event_read reply; with
 * `brief` only {"event","name","counts"}. NULL when the reply is damaged. */
static json_t *event_json(const char *event, const redisReply *reply, int brief)
{
    struct event_view v;
    json_t *sections, *sec, *out, *secs;
    size_t i, at = 0;

    if (replies_event(reply, &v) < 0)
        return NULL;
    sections = json_loadb(v.sections.s, v.sections.len, 0, NULL);
    if (!json_is_array(sections)) {
        json_decref(sections);
        return NULL;
    }
    out = json_pack("{s:s, s:s%, s:o}", "event", event, "name", v.name.s, v.name.len,
                    "counts", api_counts(v.status.s, 0, v.status.len));
    if (v.queue.len) {
        long long n[4], clear;
        double rate;
        char state[16];
        if (sscanf(v.queue.s, "%lld %lld %lld %lld %lf %lld %15s", &n[0], &n[1], &n[2], &n[3],
                   &rate, &clear, state) == 7) {
            json_t *q = json_pack("{s:I, s:I, s:I, s:I, s:f, s:s}", "joined", (json_int_t)n[0],
                                  "waiting", (json_int_t)n[1], "admitted", (json_int_t)n[2],
                                  "expired", (json_int_t)n[3], "rate_per_min", rate,
                                  "state", state);
            if (clear >= 0)
                json_object_set_new(q, "clear_s", json_integer(clear));
            json_object_set_new(out, "queue", q);
        }
    }
    if (brief) {
        json_decref(sections);
        return out;
    }
    json_object_set_new(out, "hold_ttl_s", json_integer(v.hold_ttl_s));
    json_object_set_new(out, "max_hold_ttl_s", json_integer(v.max_hold_ttl_s));
    json_object_set_new(out, "max_seats_per_hold", json_integer(v.max_seats_per_hold));
    if (v.max_seats_per_holder > 0)
        json_object_set_new(out, "max_seats_per_holder", json_integer(v.max_seats_per_holder));
    secs = json_array();
    json_array_foreach(sections, i, sec) {
        size_t n = (size_t)json_integer_value(json_object_get(sec, "n"));
        if (at + n > v.status.len)
            n = v.status.len - at;
        json_array_append_new(secs, json_pack("{s:O, s:O, s:o}",
            "id", json_object_get(sec, "id"), "name", json_object_get(sec, "name"),
            "counts", api_counts(v.status.s, at, at + n)));
        at += n;
    }
    json_object_set_new(out, "sections", secs);
    json_object_set_new(out, "areas", api_areas(v.areas.s, v.areas.len, NULL));
    json_decref(sections);
    return out;
}

/* ---- PUT /v1/events/{event} ----
 *
 * Three steps, so that no single Redis command runs long even for 200,000
 * seats: register the id (SADD), stage the seat index and the layout under
 * keys of this PUT alone (HSET in chunks of STAGE_CHUNK seats, SET, both
 * expiring in STAGE_TTL_S should we never finish), then swap them in with
 * event_put.lua, which also checks the event is not in use. */

#define STAGE_CHUNK 5000
#define STAGE_TTL_S "300"

struct put_state {
    struct seatmap map;
    struct picks picks;       /* what seat selection needs, staged with the map */
    char token[23];           /* names the staging keys and the layout */
    size_t pending;           /* staging commands not yet answered */
    int failed;
    int created;              /* event_put made the event (201), else replaced */
};

static void put_state_free(void *p)
{
    struct put_state *ps = p;

    seatmap_deinit(&ps->map);
    picks_deinit(&ps->picks);
    free(ps);
}

static void on_ignored(void *arg, enum store_status st, const redisReply *reply)
{
}

static void on_event_listed(void *arg, enum store_status st, const redisReply *reply)
{
    struct req *r = arg;
    struct put_state *ps = r->data;

    if (!api_reply_ok(r, st, reply, REDIS_REPLY_INTEGER, 0))
        return;
    http_reply_json(r, ps->created ? 201 : 200,
                    json_pack("{s:s, s:I}", "event", r->event, "seats",
                              (json_int_t)ps->map.nseats));
}

/* The event is made: list it again before answering. A DELETE racing
 * this PUT may have unlisted it after our first SADD (its SREM follows
 * its script, which may have run before our event_put); this SADD comes
 * after event_put, so whatever the interleaving, once both are answered
 * the event is gone or listed (see api_event_delete). */
static void on_event_put(void *arg, enum store_status st, const redisReply *reply)
{
    struct req *r = arg;
    struct put_state *ps = r->data;
    const char *argv[3] = {"SADD", STORE_EVENTS_KEY, r->event};

    if (!api_reply_ok(r, st, reply, REDIS_REPLY_INTEGER, 0))
        return;
    ps->created = reply->integer == 1;
    if (store_command(r->app->store, 3, argv, NULL, on_event_listed, r) < 0)
        http_reply_error(r, ERR_REDIS_UNAVAILABLE, NULL, NULL);
}

static void on_staged(void *arg, enum store_status st, const redisReply *reply)
{
    struct req *r = arg;
    struct put_state *ps = r->data;
    struct seatmap *m = &ps->map;
    char nums[10][24];
    const char *argv[18];

    if (st != STORE_OK || (reply && reply->type == REDIS_REPLY_ERROR))
        ps->failed = 1;
    if (--ps->pending > 0)
        return;
    if (ps->failed) {
        const char *unlink[1 + STORE_STAGE_KEYS] = {"UNLINK"};
        for (int i = 0; i < STORE_STAGE_KEYS; i++)
            unlink[1 + i] = r->keys.key[STORE_KEY_STAGE_SEATS + i];
        store_command(r->app->store, 1 + STORE_STAGE_KEYS, unlink, NULL, on_ignored, NULL);
        http_reply_error(r, ERR_REDIS_UNAVAILABLE, NULL, NULL);
        return;
    }
    snprintf(nums[0], sizeof nums[0], "%lld", m->hold_ttl_s);
    snprintf(nums[1], sizeof nums[1], "%lld", m->max_hold_ttl_s);
    snprintf(nums[2], sizeof nums[2], "%lld", m->max_seats_per_hold);
    snprintf(nums[3], sizeof nums[3], "%zu", m->nseats);
    argv[0] = m->name;
    argv[1] = nums[0];
    argv[2] = nums[1];
    argv[3] = nums[2];
    argv[4] = m->sections_json;
    argv[5] = nums[3];
    snprintf(nums[4], sizeof nums[4], "%d", r->app->cfg->journal_max);
    argv[6] = nums[4];
    snprintf(nums[5], sizeof nums[5], "%lld", m->max_seats_per_holder);
    argv[7] = nums[5];
    argv[8] = ps->token;
    argv[9] = m->no_single_gaps ? "no_single_gaps" : "none";
    argv[10] = m->has_companions ? "1" : "0";
    argv[11] = m->categories ? m->categories : "";
    argv[12] = m->areas_json;
    /* the waiting room, '' each without one */
    snprintf(nums[6], sizeof nums[6], "%lld", m->queue.opens_ms);
    snprintf(nums[7], sizeof nums[7], "%lld", m->queue.onsale_ms);
    snprintf(nums[8], sizeof nums[8], "%lld", m->queue.session_s);
    snprintf(nums[9], sizeof nums[9], "%lld", m->queue.max_seats);
    argv[13] = m->has_queue ? nums[6] : "";
    argv[14] = m->has_queue ? nums[7] : "";
    argv[15] = m->has_queue ? m->queue.rate : "";
    argv[16] = m->has_queue ? nums[8] : "";
    argv[17] = m->has_queue ? nums[9] : "";
    api_eval(r, SCRIPT_EVENT_PUT, 18, argv, NULL, on_event_put);
}

/* Queues one staging command; counts it, or marks the PUT failed. */
static void stage_send(struct req *r, int argc, const char **argv, const size_t *lens)
{
    struct put_state *ps = r->data;

    if (store_command(r->app->store, argc, argv, lens, on_staged, r) == 0)
        ps->pending++;
    else
        ps->failed = 1;
}

static void on_event_registered(void *arg, enum store_status st, const redisReply *reply)
{
    struct req *r = arg;
    struct put_state *ps = r->data;
    struct seatmap *m = &ps->map;
    const char **argv = NULL;
    size_t *lens = NULL, i, j;
    char *nums = NULL;

    if (!api_reply_ok(r, st, reply, REDIS_REPLY_INTEGER, 0))
        return;
    argv = malloc(sizeof *argv * (2 + 2 * STAGE_CHUNK));
    lens = malloc(sizeof *lens * (2 + 2 * STAGE_CHUNK));
    nums = malloc((size_t)STAGE_CHUNK * 12);
    if (!argv || !lens || !nums || util_random_token(ps->token) < 0) {
        http_reply_error(r, ERR_INTERNAL, NULL, NULL);
        goto done;
    }
    store_event_stage_keys(&r->keys, r->event, ps->token);
    /* ps->pending starts at 1 so that no answer can finish the PUT while
     * commands are still being queued; the matching release is below. */
    ps->pending = 1;
    for (i = 0; i < m->nseats; i += STAGE_CHUNK) {
        size_t end = i + STAGE_CHUNK < m->nseats ? i + STAGE_CHUNK : m->nseats, argc = 2;
        char *p = nums;
        argv[0] = "HSET";
        lens[0] = 4;
        argv[1] = r->keys.key[STORE_KEY_STAGE_SEATS];
        lens[1] = r->keys.len[STORE_KEY_STAGE_SEATS];
        for (j = i; j < end; j++) {
            int n = sprintf(p, "%zu", j);
            argv[argc] = m->seat[j];
            lens[argc++] = m->seat_len[j];
            argv[argc] = p;
            lens[argc++] = (size_t)n;
            p += n + 1;
        }
        stage_send(r, (int)argc, argv, lens);
    }
    {
        const char *expire[3] = {"EXPIRE", r->keys.key[STORE_KEY_STAGE_SEATS], STAGE_TTL_S};
        const char *set[5] = {"SET", r->keys.key[STORE_KEY_STAGE_LAYOUT],
                              m->layout ? m->layout : "", "EX", STAGE_TTL_S};
        size_t setlens[5] = {3, r->keys.len[STORE_KEY_STAGE_LAYOUT], m->layout_len, 2, strlen(STAGE_TTL_S)};
        const char *blobs[3] = {ps->picks.pick, ps->picks.rows, ps->picks.runs};
        size_t blob_lens[3] = {ps->picks.pick_len, ps->picks.rows_len, ps->picks.runs_len};
        stage_send(r, 3, expire, NULL);
        stage_send(r, 5, set, setlens);
        for (i = 0; i < 3; i++) {
            set[1] = r->keys.key[STORE_KEY_STAGE_PICK + i];
            setlens[1] = r->keys.len[STORE_KEY_STAGE_PICK + i];
            set[2] = blobs[i];
            setlens[2] = blob_lens[i];
            stage_send(r, 5, set, setlens);
        }
    }
    /* The seat map's copies now live in hiredis' output buffer. */
    free(m->layout);
    m->layout = NULL;
    picks_deinit(&ps->picks);
    on_staged(r, STORE_OK, NULL);
done:
    free(argv);
    free(lens);
    free(nums);
}

void api_event_put(struct req *r)
{
    struct put_state *ps = calloc(1, sizeof *ps);
    struct verr e = {0};
    const char *argv[3] = {"SADD", STORE_EVENTS_KEY, r->event};

    if (!ps) {
        http_reply_error(r, ERR_INTERNAL, NULL, NULL);
        return;
    }
    if (seatmap_parse(r->body, &ps->map, &e) < 0) {
        free(ps);
        http_reply_verr(r, &e);
        return;
    }
    if (ps->map.has_queue && !r->app->cfg->queue_secret[0]) {
        put_state_free(ps);
        http_reply_error(r, ERR_QUEUE_NOT_CONFIGURED, NULL, NULL);
        return;
    }
    if (picks_build(&ps->map, &ps->picks) < 0) {
        put_state_free(ps);
        http_reply_error(r, ERR_INTERNAL, NULL, NULL);
        return;
    }
    r->data = ps;
    r->data_free = put_state_free;
    /* Register first: a listed event whose script then fails is skipped
     * by the listing, while an unlisted event would be invisible. */
    if (store_command(r->app->store, 3, argv, NULL, on_event_registered, r) < 0)
        http_reply_error(r, ERR_REDIS_UNAVAILABLE, NULL, NULL);
}

/* ---- GET /v1/events/{event} ---- */

static void on_event_get(void *arg, enum store_status st, const redisReply *reply)
{
    struct req *r = arg;
    json_t *body;

    if (!api_reply_ok(r, st, reply, REDIS_REPLY_ARRAY, 0))
        return;
    body = event_json(r->event, reply, 0);
    if (!body) {
        http_reply_error(r, ERR_INTERNAL, NULL, NULL);
        return;
    }
    http_reply_json(r, 200, body);
}

void api_event_get(struct req *r)
{
    const char *argv[] = {"0"};

    api_eval(r, SCRIPT_EVENT_READ, 1, argv, NULL, on_event_get);
}

/* ---- DELETE /v1/events/{event} ---- */

/* The DELETE's unlisting, in three steps each sent after the last one's
 * reply: SREM, then EXISTS of the event's meta, then SADD back when a
 * racing PUT made the event again meanwhile. With the PUT's own SADD
 * after its event_put, an event is listed once both are answered unless
 * it is gone: if the PUT's event_put ran after our EXISTS, its SADD runs
 * after our SREM; if before, our EXISTS sees it. The answer waits for the
 * steps, so a client that has both answers sees the list settled.
 * Unlisting runs even when the keys were already gone. */
struct delete_state {
    int step;                 /* 0 SREM, 1 EXISTS, 2 SADD sent */
    int existed;              /* event_delete found the event */
};

static void delete_answer(struct req *r)
{
    struct delete_state *ds = r->data;

    if (!ds->existed)
        http_reply_error(r, ERR_EVENT_NOT_FOUND, NULL, NULL);
    else
        http_reply_empty(r, 204);
}

static void on_unlist_step(void *arg, enum store_status st, const redisReply *reply)
{
    struct req *r = arg;
    struct delete_state *ds = r->data;
    const char *exists[2] = {"EXISTS", r->keys.key[KEY_META]};
    const char *sadd[3] = {"SADD", STORE_EVENTS_KEY, r->event};

    if (!api_reply_ok(r, st, reply, REDIS_REPLY_INTEGER, 0))
        return;
    if (ds->step == 0) {
        ds->step = 1;
        if (store_command(r->app->store, 2, exists, NULL, on_unlist_step, r) < 0)
            http_reply_error(r, ERR_REDIS_UNAVAILABLE, NULL, NULL);
    } else if (ds->step == 1 && reply->integer == 1) {
        ds->step = 2;
        if (store_command(r->app->store, 3, sadd, NULL, on_unlist_step, r) < 0)
            http_reply_error(r, ERR_REDIS_UNAVAILABLE, NULL, NULL);
    } else {
        delete_answer(r);
    }
}

static void on_event_delete(void *arg, enum store_status st, const redisReply *reply)
{
    struct req *r = arg;
    struct delete_state *ds = r->data;
    const char *argv[3] = {"SREM", STORE_EVENTS_KEY, r->event};

    if (!api_reply_ok(r, st, reply, REDIS_REPLY_INTEGER, 0))
        return;
    ds->existed = reply->integer != 0;
    if (store_command(r->app->store, 3, argv, NULL, on_unlist_step, r) < 0)
        http_reply_error(r, ERR_REDIS_UNAVAILABLE, NULL, NULL);
}

void api_event_delete(struct req *r)
{
    struct delete_state *ds = calloc(1, sizeof *ds);

    if (!ds) {
        http_reply_error(r, ERR_INTERNAL, NULL, NULL);
        return;
    }
    r->data = ds;
    r->data_free = free;
    api_eval(r, SCRIPT_EVENT_DELETE, 0, NULL, NULL, on_event_delete);
}

/* ---- GET /v1/events ---- */

/* One listing in flight: one event_read per listed event, answered when
 * the last one is back. */
struct listing {
    struct req *r;
    api_events_done *done;
    size_t pending;
    int failed;
    json_t *events;
    struct list_item {
        struct listing *l;
        char id[ID_MAX + 1];
        struct event_keys keys;
        struct list_item *next;
    } *items;
};

static void listing_free(void *p)
{
    struct listing *l = p;

    json_decref(l->events);
    while (l->items) {
        struct list_item *it = l->items;
        l->items = it->next;
        free(it);
    }
    free(l);
}

static int cmp_event(const void *a, const void *b)
{
    return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "event")),
                  json_string_value(json_object_get(*(json_t *const *)b, "event")));
}

static void listing_done(struct listing *l)
{
    struct req *r = l->r;
    size_t n = json_array_size(l->events), i;
    json_t **v, *sorted;

    if (l->failed) {
        l->done(r, NULL);
        return;
    }
    v = malloc(sizeof *v * (n + 1));
    for (i = 0; v && i < n; i++)
        v[i] = json_array_get(l->events, i);
    if (v)
        qsort(v, n, sizeof *v, cmp_event);
    sorted = json_array();
    for (i = 0; v && i < n; i++)
        json_array_append(sorted, v[i]);
    free(v);
    l->done(r, sorted);
    json_decref(sorted);
}

static void on_list_item(void *arg, enum store_status st, const redisReply *reply)
{
    struct list_item *it = arg;
    struct listing *l = it->l;

    if (st != STORE_OK)
        l->failed = 1;
    else if (reply->type == REDIS_REPLY_ARRAY) {
        json_t *e = event_json(it->id, reply, 1);
        if (e)
            json_array_append_new(l->events, e);
    } else if (reply->type == REDIS_REPLY_ERROR &&
               errors_from_script(reply->str, reply->len, NULL) != ERR_EVENT_NOT_FOUND) {
        l->failed = 1;   /* a listed but missing event is skipped */
    }
    if (--l->pending == 0)
        listing_done(l);
}

static void list_visit(void *arg, const char *event, const struct event_keys *keys)
{
    struct listing *l = arg;
    struct list_item *it = calloc(1, sizeof *it);
    const char *argv[] = {"0"};

    if (!it) {
        l->failed = 1;
        return;
    }
    it->l = l;
    snprintf(it->id, sizeof it->id, "%s", event);
    it->keys = *keys;
    it->next = l->items;
    l->items = it;
    if (store_eval(l->r->app->store, SCRIPT_EVENT_READ, &it->keys, 1, argv, NULL,
                   on_list_item, it) == 0)
        l->pending++;
    else
        l->failed = 1;
}

static void list_done(void *arg, int ok)
{
    struct listing *l = arg;

    if (!ok)
        l->failed = 1;
    if (--l->pending == 0)     /* the walk's own count, taken at the start */
        listing_done(l);
}

void api_events_collect(struct req *r, api_events_done *done)
{
    struct listing *l = calloc(1, sizeof *l);

    if (!l) {
        done(r, NULL);
        return;
    }
    l->r = r;
    l->done = done;
    l->events = json_array();
    l->pending = 1;            /* no answer can finish the listing during the walk */
    r->data = l;
    r->data_free = listing_free;
    if (events_each(r->app->store, list_visit, list_done, l) < 0)
        done(r, NULL);
}

static void on_events_listed(struct req *r, json_t *events)
{
    if (!events)
        http_reply_error(r, ERR_REDIS_UNAVAILABLE, NULL, NULL);
    else
        http_reply_json(r, 200, json_pack("{s:O}", "events", events));
}

void api_events_list(struct req *r)
{
    api_events_collect(r, on_events_listed);
}
