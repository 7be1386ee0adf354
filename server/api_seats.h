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
};

/* The body check of the admin seat routes, {"seats": [...]}: 0, or -1
 * with e filled; *seats is malloc'd (free it; NULL on failure). */
int api_seats_args(json_t *body, const char ***seats, size_t *n, struct verr *e);

void api_seats_list(struct req *r);
void api_order_get(struct req *r);
/* POST .../release, /block, /unblock: the route's seats_action. */
void api_seats_change(struct req *r);

#endif
