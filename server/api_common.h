/* api_common — helpers shared by the api_*.c handlers: reading script
 * replies, and computing seat counts from an event's status string. */
#ifndef USHER_API_COMMON_H
#define USHER_API_COMMON_H

#include <hiredis/hiredis.h>
#include <jansson.h>

#include "http.h"

/* Status bytes of the status string (lua/README.md). */
#define SEAT_AVAILABLE '.'
#define SEAT_HELD 'h'
#define SEAT_RESERVED 'r'
#define SEAT_BLOCKED 'b'

/* A JSON array of the string elements r->element[from..]. */
json_t *api_strings(const redisReply *r, size_t from);

/* 1 when st/r is a successful reply of `type` with at least `min`
 * elements (for arrays); else replies with the right error and returns 0.
 * Use: if (!api_reply_ok(r, st, reply, REDIS_REPLY_ARRAY, 7)) return; */
int api_reply_ok(struct req *r, enum store_status st, const redisReply *reply,
                 int type, size_t min);

/* Counts of one status string range: {"total","available","held",
 * "reserved","blocked"}. */
json_t *api_counts(const char *status, size_t from, size_t to);

/* Builds the GET /v1/events/{event} body from an event_read reply; with
 * `brief` only {"event","name","counts"}. NULL when the reply is damaged. */
json_t *api_event_json(const char *event, const redisReply *reply, int brief);

/* Collects every listed event as [{"event","name","counts"}] sorted by id,
 * then calls done(r, events) (borrowed), or done(r, NULL) when Redis
 * failed. done must answer r. */
typedef void api_events_done(struct req *r, json_t *events);
void api_events_collect(struct req *r, api_events_done *done);

/* Queues a script for r's event; on refusal answers 503 at once.
 * Use: api_eval(r, SCRIPT_X, argc, argv, lens, on_done); */
void api_eval(struct req *r, enum script_id id, int argc, const char **argv,
              const size_t *lens, store_cb *cb);

#endif
