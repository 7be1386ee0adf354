/* router — the one static table of usherd's routes and the matcher that
 * picks a route for a method and path, capturing {event}, {hold} and
 * {order} path parameters so that no handler parses paths itself. */
#ifndef USHER_ROUTER_H
#define USHER_ROUTER_H

#include <stddef.h>

struct req;
typedef void route_handler(struct req *r);

#define ROUTER_MAX_PARAMS 2
#define ROUTER_PARAM_MAX 128   /* longest id (order ids) */
#define ROUTER_PATH_MAX 4096   /* the longest request target (conn.h) */

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

struct route {
    const char *method;
    const char *pattern;       /* "/v1/events/{event}/holds/{hold}" */
    route_handler *handler;
    enum body_kind body;
    enum route_role role;
    unsigned flags;            /* ROUTE_* */
};

/* Its Redis work is shared by every concurrent request of one event (at
 * most one read in flight per event and process): such requests are not
 * counted in flight nor held to the in-flight limit. */
#define ROUTE_COALESCED 1u
/* Takes a checkout key as ?access_token= too, for EventSource, which
 * cannot send headers. Nowhere else: keys in URLs end up in proxy logs,
 * browser history and Referer headers. Never an admin key. */
#define ROUTE_QUERY_KEY 2u

enum router_result { ROUTER_FOUND, ROUTER_NOT_FOUND, ROUTER_BAD_METHOD };

struct router_match {
    const struct route *route;
    int nparams;
    const char *param_name[ROUTER_MAX_PARAMS];   /* "event", "hold", "order" */
    char param[ROUTER_MAX_PARAMS][ROUTER_PARAM_MAX + 1];
    size_t param_len[ROUTER_MAX_PARAMS];
    char allow[64];            /* on ROUTER_BAD_METHOD: "GET, PUT" */
};

/* Matches `method` and `path` (no query string, path length `len`)
 * against the table, after decoding %-escapes of unreserved characters
 * (query.h); HEAD takes a path's GET route. A path segment longer than ROUTER_PARAM_MAX makes the
 * parameter invalid, not the route unknown: it is captured truncated with
 * param_len set to ROUTER_PARAM_MAX + 1 so the caller answers invalid_id. */
enum router_result router_match(const char *method, const char *path, size_t len,
                                struct router_match *m);

/* The largest body a request for `target` (the query, if any, ignored)
 * may carry: ROUTER_BODY_LARGE where its route takes a seat map,
 * ROUTER_BODY_SMALL on every other route and on none. */
size_t router_body_max(const char *method, const char *target);

/* The route table itself, for tests and docs. */
const struct route *router_routes(size_t *count);

#endif
