/* api_queue — see api_queue.h. */
#include "api_queue.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "admission.h"
#include "api_common.h"
#include "app.h"
#include "config.h"
#include "guard.h"
#include "replies.h"
#include "util.h"
#include "validate.h"
#include "waitroom.h"

/* 1 when this usherd can sign admissions; else answers 422
 * queue_not_configured and returns 0. */
static int queue_configured(struct req *r)
{
    if (r->app->cfg->queue_secret[0])
        return 1;
    http_reply_error(r, ERR_QUEUE_NOT_CONFIGURED, NULL, NULL);
    return 0;
}

/* When a waiting client should ask again, in seconds: about a third of
 * its estimated wait, 1 to 30 (before the sale: until it starts). */
static long long ask_again(long long wait_s)
{
    long long s = wait_s < 0 ? 5 : (wait_s + 2) / 3;

    return s < 1 ? 1 : s > 30 ? 30 : s;
}

/* The ticket's JSON, with Retry-After while it waits and the admission
 * token once admitted. */
static void reply_ticket(struct req *r, int status_code, const char *ticket,
                         const struct ticket_view *v)
{
    json_t *body = json_pack("{s:s, s:s, s:s%}", "event", r->event, "ticket", ticket, "status",
                             v->status.s, v->status.len);
    char buf[24];

    if (v->position >= 0)
        json_object_set_new(body, "position", json_integer(v->position + 1));
    if (replies_is(v->status, "waiting")) {
        if (v->wait_s >= 0)
            json_object_set_new(body, "estimated_wait_s", json_integer(v->wait_s));
        snprintf(buf, sizeof buf, "%lld", ask_again(v->wait_s));
        http_add_header(r, "Retry-After", buf);
    } else if (replies_is(v->status, "admitted")) {
        char token[ADMISSION_TOKEN_MAX + 1], when[40];
        admission_make(r->app->cfg->queue_secret, r->event, ticket, v->ends_ms, token);
        util_format_rfc3339(v->ends_ms, when, sizeof when);
        json_object_set_new(body, "admission", json_string(token));
        json_object_set_new(body, "admission_expires_at", json_string(when));
    }
    http_reply_json(r, status_code, body);
}

/* ---- POST /v1/events/{event}/queue ---- */

static void on_join(void *arg, enum store_status st, const redisReply *rep)
{
    struct req *r = arg;
    struct ticket_view v;

    if (!api_reply_ok(r, st, rep, REDIS_REPLY_ARRAY, 6))
        return;
    if (replies_ticket(rep, 1, &v) < 0) {
        http_reply_error(r, ERR_INTERNAL, NULL, NULL);
        return;
    }
    reply_ticket(r, 201, v.ticket.s, &v);
}

void api_queue_join(struct req *r)
{
    const char *ikey = http_header(r, "Idempotency-Key"), *argv[3];
    char ticket[23], place[24], field[GUARD_KEY_ID_LEN + ID_MAX + 4];
    uint64_t rnd;

    if (ikey && !validate_id(ikey, strlen(ikey), ID_MAX)) {
        http_reply_error(r, ERR_INVALID_IDEMPOTENCY_KEY, NULL, NULL);
        return;
    }
    if (!queue_configured(r))
        return;
    if (util_random_token(ticket) < 0 || getrandom(&rnd, sizeof rnd, 0) != sizeof rnd) {
        http_reply_error(r, ERR_INTERNAL, NULL, NULL);
        return;
    }
    /* the pre-queue's shuffle: a uniform place in [0, 1e15) */
    snprintf(place, sizeof place, "%" PRIu64, rnd % UINT64_C(1000000000000000));
    /* a key is scoped by the API key, as a hold's is */
    if (ikey)
        snprintf(field, sizeof field, "%s|%s", r->key_id ? r->key_id : "", ikey);
    argv[0] = ticket;
    argv[1] = place;
    argv[2] = ikey ? field : "";
    api_eval(r, SCRIPT_QUEUE_JOIN, 3, argv, NULL, on_join);
}

/* ---- GET /v1/events/{event}/queue/{ticket} ---- */

static void on_ticket(void *arg, enum store_status st, const redisReply *rep)
{
    struct req *r = arg;

    struct ticket_view v;

    if (!api_reply_ok(r, st, rep, REDIS_REPLY_ARRAY, 4))
        return;
    if (replies_ticket(rep, 0, &v) < 0) {
        http_reply_error(r, ERR_INTERNAL, NULL, NULL);
        return;
    }
    reply_ticket(r, 200, r->ticket, &v);
}

void api_queue_ticket(struct req *r)
{
    const char *argv[] = {r->ticket};

    if (!queue_configured(r))
        return;
    api_eval(r, SCRIPT_QUEUE_GET, 1, argv, NULL, on_ticket);
}

/* ---- GET /v1/events/{event}/queue ---- */

static void on_summary(void *arg, enum store_status st, const redisReply *rep)
{
    struct req *r = arg;
    struct queue_view v;
    char when[40];
    json_t *body;

    if (!api_reply_ok(r, st, rep, REDIS_REPLY_ARRAY, 8))
        return;
    if (replies_queue(rep, &v) < 0) {
        http_reply_error(r, ERR_INTERNAL, NULL, NULL);
        return;
    }
    util_format_rfc3339(v.onsale_ms, when, sizeof when);
    body = json_pack("{s:s, s:I, s:I, s:I, s:I, s:f, s:s#, s:s}", "event", r->event,
                     "joined", (json_int_t)v.joined, "waiting", (json_int_t)v.waiting,
                     "admitted", (json_int_t)v.admitted, "expired", (json_int_t)v.expired,
                     "rate_per_min", v.rate_per_min,
                     "state", v.state.len ? v.state.s : "open", (int)(v.state.len ? v.state.len : 4),
                     "onsale_at", when);
    if (v.clear_s >= 0)
        json_object_set_new(body, "clear_s", json_integer(v.clear_s));
    http_reply_json(r, 200, body);
}

void api_queue_summary(struct req *r)
{
    const char *argv[] = {""};

    api_eval(r, SCRIPT_QUEUE_GET, 1, argv, NULL, on_summary);
}

/* ---- PUT /v1/events/{event}/queue ---- */

static void on_set(void *arg, enum store_status st, const redisReply *rep)
{
    struct req *r = arg;

    if (api_reply_ok(r, st, rep, REDIS_REPLY_INTEGER, 0))
        api_queue_summary(r);        /* the room as it is now */
}

void api_queue_set(struct req *r)
{
    struct verr e = {0};
    struct waitroom w;
    char n[4][24];
    const char *argv[5];

    if (!queue_configured(r))
        return;
    if (waitroom_parse(r->body, 1000, util_wall_ms(), &w, &e) < 0) {
        http_reply_verr(r, &e);
        return;
    }
    snprintf(n[0], sizeof n[0], "%lld", w.opens_ms);
    snprintf(n[1], sizeof n[1], "%lld", w.onsale_ms);
    snprintf(n[2], sizeof n[2], "%lld", w.session_s);
    snprintf(n[3], sizeof n[3], "%lld", w.max_seats);
    argv[0] = n[0];
    argv[1] = n[1];
    argv[2] = w.rate;
    argv[3] = n[2];
    argv[4] = n[3];
    api_eval(r, SCRIPT_QUEUE_SET, 5, argv, NULL, on_set);
}
