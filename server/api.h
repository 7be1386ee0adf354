/* api — the handlers of usherd's HTTP API v1, one per route of the table
 * in router.c. Each ends in exactly one http_reply_* call, directly or in
 * the store callback it hands its request to. Implemented in
 * api_events.c (events, health), api_holds.c (holds) and api_seats.c
 * (seat map, orders, block/unblock/release). */
#ifndef USHER_API_H
#define USHER_API_H

struct req;

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
