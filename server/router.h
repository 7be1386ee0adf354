/* router — what a route is, and the matcher that picks one of a table for
 * a method and path. Each route declares what dispatch needs: its body
 * kind, who may call it, its admission traits and per-route data for a
 * handler shared by several routes. The kind of each path parameter comes
 * from its name in the pattern ({event}, {hold}, {order}), and with it the
 * parameter's length limit, so no handler parses paths or compares names.
 * The table itself is routes.c's: the matcher knows no handler. */
#ifndef USHER_ROUTER_H
#define USHER_ROUTER_H

#include <stddef.h>

struct req;
typedef void route_handler(struct req *r);

#define ROUTER_MAX_PARAMS 2
#define ROUTER_PARAM_MAX 128   /* longest id (order ids) */
#define ROUTER_PATH_MAX 4096   /* the longest request target (wire.h) */

enum body_kind {
    BODY_NONE,      /* a body, if any, is ignored */
    BODY_JSON,      /* a JSON object up to ROUTER_BODY_SMALL bytes */
    BODY_JSON_MAP,  /* a JSON object up to ROUTER_BODY_LARGE bytes */
};
#define ROUTER_BODY_SMALL (64 * 1024)
#define ROUTER_BODY_LARGE (32 * 1024 * 1024)

/* Who may call a route when API keys are configured. */
enum route_role {
    ROLE_OPEN,      /* anyone: health, metrics, the ops pages' HTML */
    ROLE_CHECKOUT,  /* checkout and admin keys */
    ROLE_ADMIN,     /* admin keys only */
};

/* Its Redis work is shared by every concurrent request of one event (at
 * most one read in flight per event and process): such requests are not
 * counted in flight nor held to the in-flight limit. */
#define ROUTE_COALESCED 1u
/* Takes a checkout key as ?access_token= too, for EventSource, which
 * cannot send headers. Nowhere else: keys in URLs end up in proxy logs,
 * browser history and Referer headers. Never an admin key. */
#define ROUTE_QUERY_KEY 2u
/* Finishes a buyer's work already begun (a request about an existing
 * hold): shed only past twice the in-flight limit, since it frees
 * capacity and seats where a new hold adds load. */
#define ROUTE_FINISHING 4u

struct route {
    const char *method;
    const char *pattern;       /* "/v1/events/{event}/holds/{hold}" */
    route_handler *handler;
    enum body_kind body;
    enum route_role role;
    unsigned flags;            /* ROUTE_* */
    const void *data;          /* for a handler several routes share, or NULL */
};

#define ROUTER_MAX_ROUTES 64

/* A route table, in match order, with what router_init derives from it:
 * each pattern's number of '/', so a path is compared only with the
 * patterns of as many segments (a parameter never holds a '/'). */
struct router {
    const struct route *routes;
    size_t n;
    unsigned char slashes[ROUTER_MAX_ROUTES];
};

/* Makes rt the router of routes[0..n), n <= ROUTER_MAX_ROUTES. Once,
 * before any request (routes_get does it). */
void router_init(struct router *rt, const struct route *routes, size_t n);

enum router_result { ROUTER_FOUND, ROUTER_NOT_FOUND, ROUTER_BAD_METHOD };

enum param_kind { PARAM_EVENT, PARAM_HOLD, PARAM_ORDER, PARAM_TICKET };

struct router_match {
    const struct route *route;
    int nparams;
    enum param_kind kind[ROUTER_MAX_PARAMS];
    char param[ROUTER_MAX_PARAMS][ROUTER_PARAM_MAX + 1];
    size_t param_len[ROUTER_MAX_PARAMS];
    char allow[64];            /* on ROUTER_BAD_METHOD: "GET, HEAD, PUT" */
};

/* Matches `method` and `path` (no query string, path length `len`)
 * against rt, after decoding %-escapes of unreserved characters
 * (query.h); HEAD takes a path's GET route. A path segment longer than
 * ROUTER_PARAM_MAX makes the parameter invalid, not the route unknown: it
 * is captured truncated with param_len set to ROUTER_PARAM_MAX + 1 so
 * the caller answers invalid_id. */
enum router_result router_match(const struct router *rt, const char *method, const char *path,
                                size_t len, struct router_match *m);

/* The longest id a parameter of `kind` may be. */
size_t router_param_max(enum param_kind kind);
/* "event", "hold" or "order", for messages. */
const char *router_param_name(enum param_kind kind);

/* The largest body a request for `target` (the query, if any, ignored)
 * may carry: ROUTER_BODY_LARGE where its route takes a seat map,
 * ROUTER_BODY_SMALL on every other route and on none. */
size_t router_body_max(const struct router *rt, const char *method, const char *target);

#endif
