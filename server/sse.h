/* sse — the stateless half of the live stream: journal entry ids
 * ("ms-seq") as numbers, the shapes of XREAD/XRANGE replies over the
 * journal, and one journal entry formatted as a Server-Sent Events
 * message:
 *
 *     id: 1795318454963-0
 *     event: seats                  ("reset" for a create or replace)
 *     data: {"seats":["A-1-1"],"status":"held","cause":"hold","ts":1795318454963}
 *
 * Pure functions over hiredis replies, unit-tested on their own. */
#ifndef USHER_SSE_H
#define USHER_SSE_H

#include <hiredis/hiredis.h>
#include <stddef.h>

#define SSE_ID_LEN 48   /* longer than any "ms-seq" */

/* A stream entry id, kept as numbers: compared for every client of every
 * batch. {0, 0} is before every entry (XADD never makes 0-0). */
struct sse_id {
    unsigned long long ms, seq;
};

int sse_id_none(struct sse_id a);
/* -1, 0 or 1 as a is before, the same as or after b. */
int sse_id_cmp(struct sse_id a, struct sse_id b);
/* Parses "ms-seq" (n bytes, both parts decimal digits, no overflow) into
 * *out. 0, or -1 when s is not such an id; "" is {0, 0}. */
int sse_id_parse(const char *s, size_t n, struct sse_id *out);

/* The id of one entry reply ([id, [field, value, ...]]), {0, 0} when it
 * is not one. */
struct sse_id sse_entry_id(const redisReply *e);
/* The entry list of an XREAD reply over one stream ([[key, [entries]]]),
 * or NULL: nothing new (BLOCK ran out) or not that shape. */
const redisReply *sse_xread_entries(const redisReply *r);
/* The id of the first entry of an XRANGE ... COUNT 1 reply, {0, 0} when
 * the stream has none (or the reply is not that shape). */
struct sse_id sse_first_id(const redisReply *r);

/* Formats entry e (its fields seats, status, cause, ts) as one SSE
 * message into buf (cap bytes): event "seats", "reset" (create, replace)
 * or, for an entry of a general-admission area (fields area, quantity,
 * held, sold too), "area". Its length, or 0 when e is malformed or
 * the message does not fit. */
size_t sse_format_entry(const redisReply *e, char *buf, size_t cap);

#endif
