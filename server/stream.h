/* stream — live seat changes as Server-Sent Events
 * (GET /v1/events/{event}/stream): the route, and how a client joins its
 * event's feed (feed.h: one journal reader per event and process, fanned
 * out to every client) without a gap. A client starts with the current
 * counts, then gets one `event: seats` per journal entry with `id:` = the
 * entry id; reconnecting with Last-Event-ID resumes without a gap, or
 * gets `event: reset` when that id has been trimmed away (reload the seat
 * map). Openers of one event share one snapshot read.
 *
 * Joining, per client:
 *
 *   open --(another opener's read is out)--> wait on it --+
 *     |                                                   |
 *     +--> snapshot read: event_read (counts, journal end = snap) <-+
 *            |
 *            +-- 404/503: answered as JSON, done
 *            +-- stream starts: counts sent, cursor = snap
 *                  | Last-Event-ID? cursor = it; oldest kept entry
 *                  |   after it? -> `event: reset`, cursor = snap
 *                  v
 *            catch-up: XRANGE after cursor on the main connection,
 *            500 at a time, until cursor = the reader's position
 *                  | (at it already: straight on)
 *                  v
 *            live: the feed's reader sends it every entry after cursor
 *
 * A client that leaves at any step is freed once no call is out for it. */
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

#endif
