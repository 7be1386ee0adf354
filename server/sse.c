/* sse — see sse.h. */
#include "sse.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sse_id_none(struct sse_id a)
{
    return a.ms == 0 && a.seq == 0;
}

int sse_id_cmp(struct sse_id a, struct sse_id b)
{
    if (a.ms != b.ms)
        return a.ms < b.ms ? -1 : 1;
    return a.seq < b.seq ? -1 : a.seq > b.seq;
}

int sse_id_parse(const char *s, size_t n, struct sse_id *out)
{
    unsigned long long part[2] = {0, 0};
    size_t i, k = 0, digits = 0;

    if (n == 0) {
        out->ms = out->seq = 0;
        return 0;
    }
    if (n >= SSE_ID_LEN)
        return -1;
    for (i = 0; i < n; i++) {
        if (s[i] == '-' && k == 0 && digits) {
            k = 1;
            digits = 0;
        } else if (s[i] >= '0' && s[i] <= '9' && part[k] <= (~0ULL - 9) / 10) {
            part[k] = part[k] * 10 + (unsigned)(s[i] - '0');
            digits++;
        } else {
            return -1;
        }
    }
    if (k != 1 || !digits)
        return -1;
    out->ms = part[0];
    out->seq = part[1];
    return 0;
}

struct sse_id sse_entry_id(const redisReply *e)
{
    struct sse_id id = {0, 0};

    if (e->type == REDIS_REPLY_ARRAY && e->elements == 2 &&
        e->element[0]->type == REDIS_REPLY_STRING)
        sse_id_parse(e->element[0]->str, e->element[0]->len, &id);
    return id;
}

const redisReply *sse_xread_entries(const redisReply *r)
{
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
        r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements == 2 &&
        r->element[0]->element[1]->type == REDIS_REPLY_ARRAY)
        return r->element[0]->element[1];
    return NULL;
}

struct sse_id sse_first_id(const redisReply *r)
{
    struct sse_id none = {0, 0};

    if (r->type == REDIS_REPLY_ARRAY && r->elements == 1)
        return sse_entry_id(r->element[0]);
    return none;
}

size_t sse_format_entry(const redisReply *e, char *buf, size_t cap)
{
    const redisReply *id, *f;
    const char *seats = "", *status = "", *cause = "", *ts = "0", *area = NULL;
    const char *quantity = "0", *held = "0", *sold = "0";
    /* the fields an entry may have, and where each goes */
    const struct { const char *name; const char **to; } known[] = {
        {"status", &status}, {"cause", &cause}, {"ts", &ts}, {"area", &area},
        {"quantity", &quantity}, {"held", &held}, {"sold", &sold},
    };
    size_t seats_len = 0, i, n;
    json_t *list, *obj;
    char *data;

    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2)
        return 0;
    id = e->element[0];
    f = e->element[1];
    if (id->type != REDIS_REPLY_STRING || f->type != REDIS_REPLY_ARRAY)
        return 0;
    for (i = 0; i + 1 < f->elements; i += 2) {
        const char *k = f->element[i]->str, *v = f->element[i + 1]->str;
        if (!k || !v)
            continue;
        if (strcmp(k, "seats") == 0) {
            seats = v;
            seats_len = f->element[i + 1]->len;
        }
        for (n = 0; n < sizeof known / sizeof known[0]; n++)
            if (strcmp(k, known[n].name) == 0)
                *known[n].to = v;
    }
    if (area) {      /* a general-admission area's change, with its counts after it */
        obj = json_pack("{s:s, s:I, s:s, s:s, s:I, s:I, s:I}", "area", area, "quantity",
                        (json_int_t)strtoll(quantity, NULL, 10), "status", status, "cause", cause,
                        "held", (json_int_t)strtoll(held, NULL, 10), "sold",
                        (json_int_t)strtoll(sold, NULL, 10), "ts",
                        (json_int_t)strtoll(ts, NULL, 10));
        data = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
        json_decref(obj);
        if (!data)
            return 0;
        n = (size_t)snprintf(buf, cap, "id: %.*s\nevent: area\ndata: %s\n\n", (int)id->len,
                             id->str, data);
        free(data);
        return n < cap ? n : 0;
    }
    list = json_array();
    for (i = 0; i < seats_len;) {
        size_t start = i;
        while (i < seats_len && seats[i] != ' ')
            i++;
        if (i > start)
            json_array_append_new(list, json_stringn(seats + start, i - start));
        i++;
    }
    obj = json_pack("{s:o, s:s, s:s, s:I}", "seats", list, "status", status, "cause", cause,
                    "ts", (json_int_t)strtoll(ts, NULL, 10));
    data = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    if (!data)
        return 0;
    /* create/replace open a new journal: watchers must reload the map */
    n = (size_t)snprintf(buf, cap, "id: %.*s\nevent: %s\ndata: %s\n\n", (int)id->len, id->str,
                         strcmp(cause, "replace") == 0 || strcmp(cause, "create") == 0
                             ? "reset" : "seats", data);
    free(data);
    return n < cap ? n : 0;
}
