/* seatmap — turns the JSON body of PUT /v1/events/{event} into what
 * event_put.lua stores: the settings, the seat ids in seat-map order, the
 * sections (id, name, seat count) and the layout, one line per seat:
 *     <section index> TAB "id":"A-1-1","section":"A","row":"1"[,...]} LF
 * The layout line is the tail of the seat's JSON object, so listing seats
 * is a copy with the status put in front, never a JSON re-encode. */
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

#endif
