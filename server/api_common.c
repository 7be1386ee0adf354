/* api_common — see api_common.h. */
#include "api_common.h"

#include <string.h>

#include "app.h"
#include "util.h"

json_t *api_strings(const redisReply *r, size_t from)
{
    json_t *a = json_array();
    size_t i;

    for (i = from; i < r->elements; i++)
        if (r->element[i]->type == REDIS_REPLY_STRING)
            json_array_append_new(a, json_stringn(r->element[i]->str,
                                                  r->element[i]->len));
    return a;
}

int api_reply_ok(struct req *r, enum store_status st, const redisReply *reply,
                 int type, size_t min)
{
    if (st != STORE_OK || reply->type == REDIS_REPLY_ERROR) {
        http_reply_store(r, st, reply);
        return 0;
    }
    if (reply->type != type || (type == REDIS_REPLY_ARRAY && reply->elements < min)) {
        util_log("error", "unexpected reply shape on %s", r->m.route->pattern);
        http_reply_error(r, ERR_INTERNAL, NULL, NULL);
        return 0;
    }
    return 1;
}

void api_eval(struct req *r, enum script_id id, int argc, const char **argv,
              const size_t *lens, store_cb *cb)
{
    if (store_eval(r->app->store, id, &r->keys, argc, argv, lens, cb, r) < 0)
        http_reply_error(r, ERR_REDIS_UNAVAILABLE, NULL, NULL);
}

json_t *api_counts(const char *status, size_t from, size_t to)
{
    size_t n[256] = {0}, i;

    for (i = from; i < to; i++)
        n[(unsigned char)status[i]]++;
    return json_pack("{s:I, s:I, s:I, s:I, s:I}",
                     "total", (json_int_t)(to - from),
                     "available", (json_int_t)n[SEAT_AVAILABLE],
                     "held", (json_int_t)n[SEAT_HELD],
                     "reserved", (json_int_t)n[SEAT_RESERVED],
                     "blocked", (json_int_t)n[SEAT_BLOCKED]);
}

json_t *api_areas(const char *json, size_t len, const char *only)
{
    json_t *in = json_loadb(json, len, 0, NULL), *a, *out;
    size_t i;

    if (!json_is_array(in)) {
        json_decref(in);
        return NULL;
    }
    out = json_array();
    json_array_foreach(in, i, a) {
        json_int_t cap = json_integer_value(json_object_get(a, "capacity"));
        json_int_t held = json_integer_value(json_object_get(a, "held"));
        json_int_t sold = json_integer_value(json_object_get(a, "sold"));
        const char *id = json_string_value(json_object_get(a, "id"));
        if (!id || (only && only[0] && strcmp(only, id) != 0))
            continue;
        json_array_append_new(out, json_pack("{s:s, s:O, s:I, s:{s:I, s:I, s:I, s:I}}", "id", id,
            "name", json_object_get(a, "name"), "capacity", cap, "counts", "total", cap,
            "available", cap - held - sold, "held", held, "reserved", sold));
    }
    json_decref(in);
    return out;
}

void api_batch(struct req *r, enum batch_op op, int argc, const char **argv, size_t seats,
               store_cb *cb)
{
    if (batcher_submit(r->app->batcher, &r->keys, op, argc, argv, NULL, seats,
                       op == BATCH_RESERVE ? &r->replicas : NULL, cb, r) < 0)
        http_reply_error(r, ERR_REDIS_UNAVAILABLE, NULL, NULL);
}

void api_command(struct req *r, int argc, const char **argv, const size_t *lens, store_cb *cb)
{
    if (store_command(r->app->store, argc, argv, lens, cb, r) < 0)
        http_reply_error(r, ERR_REDIS_UNAVAILABLE, NULL, NULL);
}
