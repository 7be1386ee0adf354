/* replies — see replies.h. */
#include "replies.h"

#include <string.h>

/* event_read's reply (lua/event_read.lua) */
enum { E_NAME, E_HOLD_TTL, E_MAX_HOLD_TTL, E_MAX_SEATS, E_SECTIONS, E_STATUS, E_LAYOUT,
       E_JOURNAL_ID, E_MAX_PER_HOLDER, E_LAYOUT_ID, E__COUNT };
/* hold_reply (lua/lib/common.lua): the seats follow H__FIXED */
enum { H_ID, H_STATE, H_CREATED, H_EXPIRES, H_NOW, H_HOLDER, H_ORDER, H_REFUNDED, H__FIXED };
/* sweep (lua/sweep.lua) */
enum { S_EXPIRED, S_PURGED, S_MORE, S__COUNT };

static int get_str(const redisReply *r, size_t i, struct rstr *out)
{
    const redisReply *e = r->element[i];

    if (e->type != REDIS_REPLY_STRING)
        return -1;
    out->s = e->str;
    out->len = e->len;
    return 0;
}

static int get_int(const redisReply *r, size_t i, long long *out)
{
    const redisReply *e = r->element[i];

    if (e->type != REDIS_REPLY_INTEGER)
        return -1;
    *out = e->integer;
    return 0;
}

int replies_is(struct rstr s, const char *lit)
{
    size_t n = strlen(lit);

    return s.len == n && memcmp(s.s, lit, n) == 0;
}

int replies_event(const redisReply *r, struct event_view *v)
{
    memset(v, 0, sizeof *v);
    if (r->type != REDIS_REPLY_ARRAY || r->elements < E__COUNT)
        return -1;
    if (get_str(r, E_NAME, &v->name) < 0 || get_int(r, E_HOLD_TTL, &v->hold_ttl_s) < 0 ||
        get_int(r, E_MAX_HOLD_TTL, &v->max_hold_ttl_s) < 0 ||
        get_int(r, E_MAX_SEATS, &v->max_seats_per_hold) < 0 ||
        get_str(r, E_SECTIONS, &v->sections) < 0 || get_str(r, E_STATUS, &v->status) < 0 ||
        get_str(r, E_LAYOUT, &v->layout) < 0 || get_str(r, E_JOURNAL_ID, &v->journal_id) < 0 ||
        get_int(r, E_MAX_PER_HOLDER, &v->max_seats_per_holder) < 0 ||
        get_str(r, E_LAYOUT_ID, &v->layout_id) < 0)
        return -1;
    return 0;
}

int replies_hold(const redisReply *r, struct hold_view *v)
{
    size_t end, i;

    memset(v, 0, sizeof *v);
    v->replay = -1;
    if (r->type != REDIS_REPLY_ARRAY || r->elements < H__FIXED)
        return -1;
    if (get_str(r, H_ID, &v->id) < 0 || get_str(r, H_STATE, &v->state) < 0 ||
        get_int(r, H_CREATED, &v->created_ms) < 0 || get_int(r, H_EXPIRES, &v->expires_ms) < 0 ||
        get_int(r, H_NOW, &v->now_ms) < 0 || get_str(r, H_HOLDER, &v->holder) < 0 ||
        get_str(r, H_ORDER, &v->order) < 0 || get_str(r, H_REFUNDED, &v->refunded) < 0)
        return -1;
    end = r->elements;
    /* hold_create ends its reply with the replay flag */
    if (end > H__FIXED && r->element[end - 1]->type == REDIS_REPLY_INTEGER) {
        v->replay = r->element[end - 1]->integer != 0;
        end--;
    }
    for (i = H__FIXED; i < end; i++)
        if (r->element[i]->type != REDIS_REPLY_STRING)
            return -1;
    v->seats = (const redisReply *const *)r->element + H__FIXED;
    v->nseats = end - H__FIXED;
    return 0;
}

int replies_sweep(const redisReply *r, struct sweep_view *v)
{
    long long more = 0;

    memset(v, 0, sizeof *v);
    if (r->type != REDIS_REPLY_ARRAY || r->elements != S__COUNT ||
        get_int(r, S_EXPIRED, &v->expired) < 0 || get_int(r, S_PURGED, &v->purged) < 0 ||
        get_int(r, S_MORE, &more) < 0)
        return -1;
    v->more = more != 0;
    return 0;
}
