/* api_common — see api_common.h. */
#include "api_common.h"

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
