/* seatmap — turns the JSON body of PUT /v1/events/{event} into what
 * event_put.lua stores: the settings, the seat ids in seat-map order, the
 * sections (id, name, seat count), the general-admission areas (a
 * section with a `capacity` and no rows: id, name, capacity) and the
 * layout.
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
#include "waitroom.h"

#define SEATMAP_MAX_SEATS 200000
#define SEATMAP_NAME_MAX 200
#define SEATMAP_CATEGORY_MAX 64
#define SEATMAP_CATEGORIES_MAX 254    /* seat selection keeps a category a byte */
#define SEATMAP_AREAS_MAX VALIDATE_AREAS_MAX   /* general-admission areas an event may have */
#define SEATMAP_AREA_MAX 1000000      /* places an area may have */

/* Seat attributes, a byte a seat (seat selection, lua/README.md). */
#define SEAT_ACCESSIBLE 1
#define SEAT_COMPANION 2

/* One row of the seat map: its seats are start .. start + len - 1, and
 * its seats' lines in the layout are layout[loff .. loff + llen). */
struct seatmap_row {
    size_t start, len, section, loff, llen;
};

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
    char *sections_json;       /* [{"id","name","n"}]: the sections of seats */
    char *areas_json;          /* [{"id","name","capacity"}]: general admission */
    size_t nareas;
    char *layout;
    size_t layout_len;
    /* What seat selection needs (picks.c builds Redis' form of it): per
     * seat its attributes, category (0 none, else 1 + its index in
     * `categories`), rank and coordinates (NAN: not given); per row its
     * extent; per event the orphan rule and the focal point. */
    unsigned char *seat_flags;
    unsigned char *seat_cat;
    double *seat_rank, *seat_x, *seat_y;
    struct seatmap_row *row;
    size_t nrows;
    char *categories;          /* the category names, each followed by LF */
    size_t ncategories;
    int no_single_gaps;        /* orphan_rule "no_single_gaps" */
    int has_focal;
    double focal_x, focal_y;
    int has_companions;
    int has_queue;             /* a waiting room ("queue") */
    struct waitroom queue;
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
