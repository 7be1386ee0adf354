/* seatmap — turns the JSON body of PUT /v1/events/{event} into what
 * event_put.lua stores: the settings, the seat ids in seat-map order, the
 * sections (id, name, seat count) and the layout.
 *
 * The layout as Redis keeps it is compact (lua/README.md): per row one
 * line TAB <section index> TAB <the row's shared tail> LF, then either
 * one line per seat, <id>[,<extras>] LF, or for a range row one line
 * *<id prefix> TAB <from> TAB <to> LF. A 100,000-seat map of range rows
 * is a few kilobytes instead of 5 MB. usherd expands it once, when it
 * caches it, into one line per seat:
 *     <section index> TAB "id":"A-1-1","section":"A","row":"1"[,...]} LF
 * the tail of the seat's JSON object, so listing seats is a copy with the
 * status put in front, never a JSON re-encode. */
#ifndef USHER_SEATMAP_H
#define USHER_SEATMAP_H

#include <jansson.h>
#include <stddef.h>

#include "validate.h"

#define SEATMAP_MAX_SEATS 200000
#define SEATMAP_NAME_MAX 200
#define SEATMAP_CATEGORY_MAX 64

struct seatmap {
    const char *name;          /* borrowed from the body */
    long long hold_ttl_s;
    long long max_hold_ttl_s;
    long long max_seats_per_hold;
    long long max_seats_per_holder;    /* 0 = no limit per holder */
    size_t nseats;
    char *ids;                 /* nseats NUL-terminated ids, back to back */
    const char **seat;         /* seat[i] points into ids */
    size_t *seat_len;
    char *sections_json;       /* [{"id","name","n"}] */
    char *layout;
    size_t layout_len;
};

/* Parses and validates `body`. On success fills m (free with
 * seatmap_deinit) and returns 0; else -1 with e filled and m empty. */
int seatmap_parse(json_t *body, struct seatmap *m, struct verr *e);

void seatmap_deinit(struct seatmap *m);

/* The stored layout s (n bytes) as one line per seat: *out is a malloc'd
 * copy of out_len bytes (NUL-terminated), or NULL when s already is one
 * line per seat (a layout an older usherd wrote: use s). -1 when s is
 * malformed, stands for more than SEATMAP_MAX_SEATS seats, or memory ran
 * out (*out NULL). */
int seatmap_layout_expand(const char *s, size_t n, char **out, size_t *out_len);

#endif
