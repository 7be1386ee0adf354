/* api — the handlers of usherd's HTTP API v1, one per route of the table
 * in router.c. Each ends in exactly one http_reply_* call, directly or in
 * the store callback it hands its request to. Implemented in
 * api_events.c (events, health), api_holds.c (holds) and api_seats.c
 * (seat map, orders, block/unblock/release). */
#ifndef USHER_API_H
#define USHER_API_H

#include <jansson.h>
#include <stddef.h>

struct req;
struct verr;

/* The body checks of the handlers, pure (no request, no Redis) so that
 * unit and fuzz tests run the very code the routes run. Each returns 0,
 * or -1 with e filled. Strings point into body; *seats is malloc'd (free
 * it, also on failure: it is then NULL). */
struct hold_args {
    const char **seats;
    size_t nseats;
    const char *holder;       /* NULL: none */
    json_int_t ttl_s;         /* 0: the event's default */
};
int api_hold_create_args(json_t *body, struct hold_args *a, struct verr *e);
int api_hold_extend_args(json_t *body, json_int_t *ttl_s, struct verr *e);
int api_hold_reserve_args(json_t *body, const char **order_id, struct verr *e);
int api_seats_args(json_t *body, const char ***seats, size_t *n, struct verr *e);

void api_healthz(struct req *r);
void api_readyz(struct req *r);
void api_metrics(struct req *r);
void api_events_list(struct req *r);
void api_event_put(struct req *r);
void api_event_get(struct req *r);
void api_event_delete(struct req *r);
void api_seats_list(struct req *r);
void api_event_stream(struct req *r);
void api_hold_create(struct req *r);
void api_hold_get(struct req *r);
void api_hold_release(struct req *r);
void api_hold_extend(struct req *r);
void api_hold_reserve(struct req *r);
void api_order_get(struct req *r);
void api_seats_release(struct req *r);
void api_seats_block(struct req *r);
void api_seats_unblock(struct req *r);
void api_ops_index(struct req *r);
void api_ops_event(struct req *r);

#endif
