/* replies — see replies.h. */
#include "replies.h"

#include <stdlib.h>
#include <string.h>

/* event_read's reply (lua/event_read.lua) */
enum { E_NAME, E_HOLD_TTL, E_MAX_HOLD_TTL, E_MAX_SEATS, E_SECTIONS, E_STATUS, E_LAYOUT,
       E_JOURNAL_ID, E_MAX_PER_HOLDER, E_LAYOUT_ID, E_AREAS, E_QUEUE, E__COUNT };
/* hold_reply (lua/lib/common.lua): ten fields, one space between */
enum { H_REPLAY, H_ID, H_STATE, H_CREATED, H_EXPIRES, H_NOW, H_HOLDER, H_ORDER, H_REFUNDED,
       H_SEATS, H__COUNT };
/* queue_join / queue_get (lua/queue_*.lua): read by position below */
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
        get_str(r, E_LAYOUT_ID, &v->layout_id) < 0 || get_str(r, E_AREAS, &v->areas) < 0 ||
        get_str(r, E_QUEUE, &v->queue) < 0)
        return -1;
    return 0;
}

/* Parses the decimal s[0..n) (digits only) into *out. 0 or -1. */
static int get_num(struct rstr s, long long *out)
{
    long long n = 0;
    size_t i;

    if (s.len == 0 || s.len > 18)
        return -1;
    for (i = 0; i < s.len; i++) {
        if (s.s[i] < '0' || s.s[i] > '9')
            return -1;
        n = n * 10 + (s.s[i] - '0');
    }
    *out = n;
    return 0;
}

int replies_hold(const redisReply *r, struct hold_view *v)
{
    struct rstr f[H__COUNT];
    const char *p, *end, *sp;
    int i;

    memset(v, 0, sizeof *v);
    if (r->type != REDIS_REPLY_STRING)
        return -1;
    p = r->str;
    end = r->str + r->len;
    for (i = 0; i < H__COUNT - 1; i++) {     /* the last field takes the rest */
        if (!(sp = memchr(p, ' ', (size_t)(end - p))))
            return -1;
        f[i].s = p;
        f[i].len = (size_t)(sp - p);
        p = sp + 1;
    }
    f[H_SEATS].s = p;
    f[H_SEATS].len = (size_t)(end - p);
    v->together = -1;
    if ((sp = memchr(p, ' ', (size_t)(end - p)))) {
        f[H_SEATS].len = (size_t)(sp - p);
        /* general-admission places last: " @<id>=<n>,..." */
        const char *at = end - 1;
        while (at > sp && *at != ' ')
            at--;
        if (at[1] == '@') {
            v->areas.s = at + 2;
            v->areas.len = (size_t)(end - at - 2);
            end = at;
        }
    }
    if (sp && sp < end) {                            /* best available's two more */
        if (end - sp < 4 || (sp[1] != '0' && sp[1] != '1') || sp[2] != ' ')
            return -1;
        v->together = sp[1] == '1';
        v->quality.s = sp + 3;
        v->quality.len = (size_t)(end - sp - 3);
        for (size_t k = 0; k < v->quality.len; k++)
            if ((v->quality.s[k] < '0' || v->quality.s[k] > '9') && v->quality.s[k] != '.')
                return -1;
    }
    if (get_num(f[H_CREATED], &v->created_ms) < 0 || get_num(f[H_EXPIRES], &v->expires_ms) < 0 ||
        get_num(f[H_NOW], &v->now_ms) < 0 || !f[H_ID].len || !f[H_STATE].len)
        return -1;
    v->replay = replies_is(f[H_REPLAY], "1") ? 1 : replies_is(f[H_REPLAY], "0") ? 0 : -1;
    v->id = f[H_ID];
    v->state = f[H_STATE];
    v->holder = f[H_HOLDER];
    v->order = f[H_ORDER];
    v->refunded = f[H_REFUNDED];
    v->seats = f[H_SEATS];
    return 0;
}

int replies_ticket(const redisReply *r, int joined, struct ticket_view *v)
{
    size_t at = joined ? 1 : 0;

    memset(v, 0, sizeof *v);
    if (r->type != REDIS_REPLY_ARRAY || r->elements < at + 4 ||
        (joined && get_str(r, 0, &v->ticket) < 0) || get_str(r, at, &v->status) < 0 ||
        get_int(r, at + 1, &v->position) < 0 || get_int(r, at + 2, &v->wait_s) < 0 ||
        get_int(r, at + 3, &v->ends_ms) < 0)
        return -1;
    return 0;
}

int replies_queue(const redisReply *r, struct queue_view *v)
{
    struct rstr rate;

    memset(v, 0, sizeof *v);
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 8 || get_int(r, 0, &v->joined) < 0 ||
        get_int(r, 1, &v->waiting) < 0 || get_int(r, 2, &v->admitted) < 0 ||
        get_int(r, 3, &v->expired) < 0 || get_str(r, 4, &rate) < 0 ||
        get_int(r, 5, &v->clear_s) < 0 || get_str(r, 6, &v->state) < 0 ||
        get_int(r, 7, &v->onsale_ms) < 0)
        return -1;
    v->rate_per_min = strtod(rate.s, NULL);
    return 0;
}

int replies_sweep(const redisReply *r, struct sweep_view *v)
{
    long long more = 0;

    memset(v, 0, sizeof *v);
    if (r->type != REDIS_REPLY_ARRAY || r->elements < S__COUNT ||   /* a queue's summary may follow */
        get_int(r, S_EXPIRED, &v->expired) < 0 || get_int(r, S_PURGED, &v->purged) < 0 ||
        get_int(r, S_MORE, &more) < 0)
        return -1;
    v->more = more != 0;
    return 0;
}
