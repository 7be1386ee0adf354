/* api_seats — the seat map listing (with its section and status
 * filters), orders, and the admin seat routes that change seats by id:
 * release (refunds), block and unblock. */
#ifndef USHER_API_SEATS_H
#define USHER_API_SEATS_H

#include <jansson.h>
#include <stddef.h>

#include "scripts_gen.h"

struct req;
struct verr;

/* The per-route data of the admin seat routes (route.data): the script
 * that changes the seats and the answer's field naming them. */
struct seats_action {
    enum script_id script;
    const char *field;        /* "released", "blocked", "unblocked" */
    int areas;                /* 1: may also give back an order's areas (release) */
};

/* The body of an admin seat route: {"seats": [...]}, and where the
 * action takes areas also "order_id" with "areas" [{"id", "quantity"}]
 * (both or neither; "seats" may then be left out). */
struct seats_args {
    const char **seats;       /* malloc'd, NULL for none; strings borrowed */
    size_t nseats;
    const char *order;        /* NULL: no areas */
    const char **areas;       /* "@<id>=<n>" each (validate_area_tokens), malloc'd */
    size_t nareas;
};
/* 0, or -1 with e filled; free a with api_seats_args_free either way. */
int api_seats_args(json_t *body, int areas, struct seats_args *a, struct verr *e);
void api_seats_args_free(struct seats_args *a);

void api_seats_list(struct req *r);
void api_order_get(struct req *r);
/* POST .../release, /block, /unblock: the route's seats_action. */
void api_seats_change(struct req *r);

#endif
