/* api_common — what the api_*.c handlers share: running a script or a
 * command for a request (503 at once when Redis cannot take it), the
 * check of a reply's shape, and seat counts from an event's status
 * string. */
#ifndef USHER_API_COMMON_H
#define USHER_API_COMMON_H

#include <hiredis/hiredis.h>
#include <jansson.h>

#include "batch.h"
#include "http.h"

/* Status bytes of the status string (lua/README.md). */
#define SEAT_AVAILABLE '.'
#define SEAT_HELD 'h'
#define SEAT_RESERVED 'r'
#define SEAT_BLOCKED 'b'

/* A JSON array of the string elements r->element[from..]. */
json_t *api_strings(const redisReply *r, size_t from);

/* 1 when st/r is a successful reply of `type` with at least `min`
 * elements (for arrays); else answers r with the right error and
 * returns 0. Use: if (!api_reply_ok(r, st, reply, REDIS_REPLY_ARRAY, 7)) return; */
int api_reply_ok(struct req *r, enum store_status st, const redisReply *reply,
                 int type, size_t min);

/* Counts of one status string range: {"total","available","held",
 * "reserved","blocked"}. */
json_t *api_counts(const char *status, size_t from, size_t to);

/* The general-admission areas of event_read's areas JSON (len bytes,
 * [{"id","name","capacity","held","sold"}]) as the API lists them:
 * [{"id","name","capacity","counts":{"total","available","held",
 * "reserved"}}]; with `only` (not NULL or ""), that area alone. NULL
 * when the JSON is damaged. */
json_t *api_areas(const char *json, size_t len, const char *only);

/* Runs script `id` with r's event keys, or a plain command, for r: cb
 * gets r as its argument. When the store cannot take the call, r is
 * answered 503 redis_unavailable at once and cb never runs. */
void api_eval(struct req *r, enum script_id id, int argc, const char **argv,
              const size_t *lens, store_cb *cb);
void api_command(struct req *r, int argc, const char **argv, const size_t *lens, store_cb *cb);
/* Hands hold operation `op` of r's event to the batcher (batch.h), which
 * sends it to Redis with the event's others of this loop turn: cb gets r
 * and this operation's own reply. `seats`: how many it names. As
 * api_eval when it cannot be taken. */
void api_batch(struct req *r, enum batch_op op, int argc, const char **argv, size_t seats,
               store_cb *cb);

#endif
