/* layouts — a bounded cache of seat-map layouts (the `layout` string of
 * lua/README.md, expanded to one line per seat by seatmap_layout_expand:
 * about 60 bytes a seat), so that a seat map read brings only the
 * statuses (one byte a seat) from Redis. For a 120,000-seat map,
 * returning the layout through event_read held Redis for 12-14 ms per
 * read (5.5 MB, before it was stored compact), every other client waiting.
 *
 * A layout never changes under one layout id (the token of the PUT that
 * staged it), and event_read sends the layout only to a caller that does
 * not name the event's current id: so a cached layout is never served
 * stale, also with several usherd processes and events replaced through
 * another one.
 *
 * Entries are reference-counted: a request takes a reference when it
 * sends its read and lets go when it is freed, so eviction never pulls a
 * layout from under a request in flight. Past the byte bound the least
 * recently used entries go first. Single-threaded, like the event loop. */
#ifndef USHER_LAYOUTS_H
#define USHER_LAYOUTS_H

#include <stddef.h>
#include <stdint.h>

#include "validate.h"

#define LAYOUT_ID_MAX 32
/* usherd's bound: a dozen 120,000-seat maps */
#define LAYOUTS_MAX_BYTES (64u << 20)

struct layout {
    const char *data;         /* the layout string, len bytes */
    size_t len;
    char id[LAYOUT_ID_MAX + 1];
    /* private */
    char event[ID_MAX + 1];
    unsigned refs;            /* the cache's own, plus one per taker */
    uint64_t used;            /* last use, for the eviction order */
    struct layout *next;
};

struct layouts;

/* A cache holding at most max_bytes of layouts (entries in use by a
 * request may outlive that bound until released). NULL on no memory. */
struct layouts *layouts_create(size_t max_bytes);
/* Frees the cache; entries still taken live on until released. */
void layouts_destroy(struct layouts *c);

/* The cached layout of `event` with a reference taken, or NULL. */
struct layout *layouts_get(struct layouts *c, const char *event);
/* Caches a copy of data as `event`'s layout under id (replacing what was
 * cached for it) and returns it with a reference taken; NULL when id is
 * empty or too long, data larger than the whole cache, or no memory
 * (then nothing is cached). */
struct layout *layouts_put(struct layouts *c, const char *event, const char *id,
                           const char *data, size_t len);
/* Lets go of a reference from layouts_get or layouts_put (NULL: none). */
void layouts_release(struct layout *l);

/* Bytes of layouts the cache holds now. */
size_t layouts_bytes(const struct layouts *c);

#endif
