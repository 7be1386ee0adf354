/* api_holds — the hold routes: create (with Idempotency-Key, scoped by
 * API key and holder), read, extend, reserve (idempotent per order id)
 * and release. The hold id is a 128-bit random token: the capability to
 * reserve or release. */
#ifndef USHER_API_HOLDS_H
#define USHER_API_HOLDS_H

#include <jansson.h>
#include <stddef.h>

struct req;
struct verr;

#define HOLD_FILTERS_MAX 32   /* sections, or categories, a best-available hold names */

/* The body checks of the routes, pure (no request, no Redis) so that
 * unit and fuzz tests run the very code the routes run. Each returns 0,
 * or -1 with e filled. Strings point into body; a->seats is malloc'd
 * (free it, also on failure: it is then NULL). */
struct hold_args {
    const char **seats;       /* NULL with best available */
    size_t nseats;
    const char **areas;       /* general-admission places, "@<id>=<n>" each; NULL: none */
    size_t nareas;
    int suggest;              /* "suggest": a conflict's 409 offers the nearest free block */
    const char *holder;       /* NULL: none */
    json_int_t ttl_s;         /* 0: the event's default */
    /* "best_available": the script chooses the seats */
    int best;                 /* 1 when asked for */
    json_int_t count, accessible;
    int together, allow_split;
    const char *sections[HOLD_FILTERS_MAX], *categories[HOLD_FILTERS_MAX];
    size_t nsections, ncategories;
};
/* "seats" and/or "areas" [{"id", "quantity"}], or "best_available"
 * {"count", "sections"?, "categories"?, "together"? (default true),
 * "allow_split"? (false), "accessible"? (0, at most count)}. a->areas is
 * malloc'd too (free both). */
int api_hold_create_args(json_t *body, struct hold_args *a, struct verr *e);
int api_hold_extend_args(json_t *body, json_int_t *ttl_s, struct verr *e);
int api_hold_reserve_args(json_t *body, const char **order_id, struct verr *e);
/* The body of POST .../holds/{hold}/seats: "add" and "remove", each up to
 * 1,000 distinct seat ids, no seat in both, and "areas" [{"id",
 * "quantity"}] (the hold's new quantity of each, 0 to drop it); not all
 * empty. On success *add, *remove and *areas are malloc'd (NULL when
 * empty), seat strings borrowed. */
int api_hold_change_args(json_t *body, const char ***add, size_t *nadd, const char ***remove,
                         size_t *nremove, const char ***areas, size_t *nareas, struct verr *e);

void api_hold_create(struct req *r);
void api_hold_get(struct req *r);
void api_hold_release(struct req *r);
void api_hold_extend(struct req *r);
void api_hold_reserve(struct req *r);
void api_hold_change(struct req *r);

#endif
