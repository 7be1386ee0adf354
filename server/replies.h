/* replies — the shapes of the Lua scripts' replies, each decoded in this
 * one place into a typed view (as hiredis keeps its parser apart from
 * its reply objects): no caller indexes a script reply by number. The
 * positions follow the scripts' contracts (lua/README.md): event_read's
 * list, hold_reply's string of ten fields (twelve for a hold best
 * available chose, one more for a hold with general-admission places), the
 * waiting room's ticket and room replies, sweep's three counts. A view borrows every string from the reply: it lives as long
 * as the reply, that is for the store callback only. */
#ifndef USHER_REPLIES_H
#define USHER_REPLIES_H

#include <hiredis/hiredis.h>
#include <stddef.h>

/* A byte string borrowed from a reply ("" when the script sent ""),
 * NUL-terminated as hiredis keeps every string (but a hold_view's parts). */
struct rstr {
    const char *s;
    size_t len;
};

/* event_read: an event's settings and the live status of every seat. */
struct event_view {
    struct rstr name;
    long long hold_ttl_s, max_hold_ttl_s, max_seats_per_hold;
    long long max_seats_per_holder;   /* 0 = no limit */
    struct rstr sections;             /* JSON [{"id","name","n"}] */
    struct rstr status;               /* one status byte per seat */
    struct rstr layout;               /* "" when left out (the caller's id is current) */
    struct rstr journal_id;           /* the journal's last entry id, "" = none */
    struct rstr layout_id;            /* "" = none (an event made before layout ids) */
    struct rstr areas;                /* JSON [{"id","name","capacity","held","sold"}] */
    struct rstr queue;                /* waiting room: "joined waiting admitted expired
                                       * rate clear_s state", "" for none */
};

/* hold_reply: one hold, as hold_batch's operations answer it. The
 * strings are not NUL-terminated (they are parts of one reply string). */
struct hold_view {
    struct rstr id, state;            /* state: held, reserved or refunded */
    long long created_ms, expires_ms, now_ms;
    struct rstr holder, order;        /* "" = none */
    struct rstr refunded;             /* comma-separated seat ids, "" = none */
    struct rstr seats;                /* comma-separated: held seats, or those still sold */
    int replay;                       /* a hold operation: 1 = an idempotent replay, 0 = new; else -1 */
    int together;                     /* best available chose it: 1 seats next to each other, 0 not; else -1 */
    struct rstr quality;              /* then its quality, "0.950"; else "" */
    struct rstr areas;                /* general admission: "<id>=<n>,...", else "" */
};

/* queue_join / queue_get of a ticket: where it stands. */
struct ticket_view {
    struct rstr ticket;               /* queue_join's; "" from queue_get */
    struct rstr status;               /* waiting, admitted, expired, sold_out */
    long long position;               /* 0-based, -1 before onsale */
    long long wait_s;                 /* estimated, -1 unknown */
    long long ends_ms;                /* the session's end, 0 unless admitted or expired */
};

/* queue_get of the room: its figures now. */
struct queue_view {
    long long joined, waiting, admitted, expired;
    double rate_per_min;
    long long clear_s;                /* -1 at rate 0 */
    struct rstr state;                /* "" open, or sold_out */
    long long onsale_ms;
};

/* sweep: what one call did. */
struct sweep_view {
    long long expired, purged;
    int more;                         /* work is left */
};

/* Each fills v from a successful (non-error) script reply of its shape:
 * 0, or -1 when the reply is not of that shape (a bug or a script of
 * another version: answer 500). */
int replies_event(const redisReply *r, struct event_view *v);
int replies_hold(const redisReply *r, struct hold_view *v);
int replies_sweep(const redisReply *r, struct sweep_view *v);
/* joined: queue_join's reply (the ticket first), else queue_get's. */
int replies_ticket(const redisReply *r, int joined, struct ticket_view *v);
int replies_queue(const redisReply *r, struct queue_view *v);

/* 1 when s equals the NUL-terminated lit. */
int replies_is(struct rstr s, const char *lit);

#endif
