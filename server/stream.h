/* stream — live seat changes as Server-Sent Events
 * (GET /v1/events/{event}/stream). For each event that has watchers in this
 * process, one reader follows the event's journal with XREAD BLOCK on a
 * Redis connection of its own and fans every entry out to all of the
 * event's clients, so a thousand watchers cost one Redis read per batch of
 * changes. A client starts with the current counts, then gets one
 * `event: seats` per journal entry with `id:` = the entry id; reconnecting
 * with Last-Event-ID resumes without a gap, or gets `event: reset` when
 * that id has been trimmed away (reload the seat map). A client whose
 * unsent output passes a bound is disconnected. */
#ifndef USHER_STREAM_H
#define USHER_STREAM_H

#include <stddef.h>

#include "store.h"

struct app;
struct req;
struct streams;

struct streams_config {
    int heartbeat_ms;           /* comment line to every client this often */
    size_t max_buffer;          /* unsent bytes that disconnect a client */
};

struct streams *streams_create(struct app *app, const struct store_config *redis,
                               const struct streams_config *cfg);
/* Ends every stream and stops every reader. */
void streams_destroy(struct streams *ss);

/* The stream route's handler: takes over request r (its event known to
 * exist or not, through r->app->streams): answers 404/400/503 as JSON,
 * or starts the event's stream. */
void streams_route_open(struct req *r);

size_t streams_clients(const struct streams *ss);

#endif
