/* router — see router.h. */
#include "router.h"

#include <string.h>

#include "api.h"
#include "query.h"

static const struct route routes[] = {
    {"GET",    "/healthz",                              api_healthz,        BODY_NONE, ROLE_OPEN, 0},
    {"GET",    "/readyz",                               api_readyz,         BODY_NONE, ROLE_OPEN, 0},
    {"GET",    "/metrics",                              api_metrics,        BODY_NONE, ROLE_OPEN, 0},
    {"GET",    "/v1/events",                            api_events_list,    BODY_NONE, ROLE_CHECKOUT, 0},
    {"GET",    "/ops",                                  api_ops_index,      BODY_NONE, ROLE_OPEN, 0},
    {"GET",    "/ops/events/{event}",                   api_ops_event,      BODY_NONE, ROLE_OPEN, 0},
    {"PUT",    "/v1/events/{event}",                    api_event_put,      BODY_JSON_MAP, ROLE_ADMIN, 0},
    {"GET",    "/v1/events/{event}",                    api_event_get,      BODY_NONE, ROLE_CHECKOUT, 0},
    {"DELETE", "/v1/events/{event}",                    api_event_delete,   BODY_NONE, ROLE_ADMIN, 0},
    {"GET",    "/v1/events/{event}/seats",              api_seats_list,     BODY_NONE, ROLE_CHECKOUT, 0},
    {"GET",    "/v1/events/{event}/stream",             api_event_stream,   BODY_NONE, ROLE_CHECKOUT,
                                                        ROUTE_COALESCED | ROUTE_QUERY_KEY},
    {"POST",   "/v1/events/{event}/holds",              api_hold_create,    BODY_JSON, ROLE_CHECKOUT, 0},
    {"GET",    "/v1/events/{event}/holds/{hold}",       api_hold_get,       BODY_NONE, ROLE_CHECKOUT, 0},
    {"DELETE", "/v1/events/{event}/holds/{hold}",       api_hold_release,   BODY_NONE, ROLE_CHECKOUT, 0},
    {"POST",   "/v1/events/{event}/holds/{hold}/extend",  api_hold_extend,  BODY_JSON, ROLE_CHECKOUT, 0},
    {"POST",   "/v1/events/{event}/holds/{hold}/reserve", api_hold_reserve, BODY_JSON, ROLE_CHECKOUT, 0},
    {"GET",    "/v1/events/{event}/orders/{order}",     api_order_get,      BODY_NONE, ROLE_CHECKOUT, 0},
    {"POST",   "/v1/events/{event}/release",            api_seats_release,  BODY_JSON, ROLE_ADMIN, 0},
    {"POST",   "/v1/events/{event}/block",              api_seats_block,    BODY_JSON, ROLE_ADMIN, 0},
    {"POST",   "/v1/events/{event}/unblock",            api_seats_unblock,  BODY_JSON, ROLE_ADMIN, 0},
};

const struct route *router_routes(size_t *count)
{
    *count = sizeof routes / sizeof routes[0];
    return routes;
}

/* Matches one pattern; fills params on success. 1 on match, else 0. */
static int match_one(const char *pat, const char *path, size_t len,
                     struct router_match *m)
{
    const char *p = path, *end = path + len;

    m->nparams = 0;
    while (*pat && p < end) {
        if (*pat == '{') {
            const char *close = strchr(pat, '}');
            const char *seg = p;
            size_t n;
            while (p < end && *p != '/')
                p++;
            n = (size_t)(p - seg);
            if (n == 0 || m->nparams == ROUTER_MAX_PARAMS)
                return 0;
            m->param_name[m->nparams] = pat[1] == 'e' ? "event"
                                       : pat[1] == 'h' ? "hold" : "order";
            if (n > ROUTER_PARAM_MAX) {
                memcpy(m->param[m->nparams], seg, ROUTER_PARAM_MAX);
                m->param[m->nparams][ROUTER_PARAM_MAX] = '\0';
                m->param_len[m->nparams] = ROUTER_PARAM_MAX + 1;
            } else {
                memcpy(m->param[m->nparams], seg, n);
                m->param[m->nparams][n] = '\0';
                m->param_len[m->nparams] = n;
            }
            m->nparams++;
            pat = close + 1;
            continue;
        }
        if (*pat != *p)
            return 0;
        pat++;
        p++;
    }
    return *pat == '\0' && p == end;
}

enum router_result router_match(const char *method, const char *path, size_t len,
                                struct router_match *m)
{
    size_t i, n = sizeof routes / sizeof routes[0];
    enum router_result res = ROUTER_NOT_FOUND;
    struct router_match tmp;
    char norm[ROUTER_PATH_MAX + 1];

    memset(m, 0, sizeof *m);
    if (len > ROUTER_PATH_MAX)
        return ROUTER_NOT_FOUND;
    /* "%65vents" is "events": escapes of unreserved characters name the
     * same resource (RFC 3986 6.2.2.2); no other escape is decoded here */
    len = query_normalize_path(path, len, norm);
    path = norm;
    /* A trailing slash is not a different resource: "/v1/events/" is
     * "/v1/events". */
    if (len > 1 && path[len - 1] == '/')
        len--;
    for (i = 0; i < n; i++) {
        const char *rm = routes[i].method;
        if (!match_one(routes[i].pattern, path, len, &tmp))
            continue;
        /* HEAD is GET without the body (RFC 9110 9.3.2) */
        if (strcmp(rm, method) == 0 || (strcmp(rm, "GET") == 0 && strcmp(method, "HEAD") == 0)) {
            char allow[64];
            memcpy(allow, m->allow, sizeof allow);
            *m = tmp;
            memcpy(m->allow, allow, sizeof allow);
            m->route = &routes[i];
            return ROUTER_FOUND;
        }
        res = ROUTER_BAD_METHOD;
        if (m->allow[0])
            strncat(m->allow, ", ", sizeof m->allow - strlen(m->allow) - 1);
        strncat(m->allow, strcmp(rm, "GET") == 0 ? "GET, HEAD" : rm,
                sizeof m->allow - strlen(m->allow) - 1);
    }
    if (res == ROUTER_BAD_METHOD) {
        /* Allow must list every method of the path, so keep looking. */
        m->route = NULL;
    }
    return res;
}

size_t router_body_max(const char *method, const char *target)
{
    struct router_match m;
    const char *q = strchr(target, '?');

    if (router_match(method, target, q ? (size_t)(q - target) : strlen(target), &m) ==
            ROUTER_FOUND && m.route->body == BODY_JSON_MAP)
        return ROUTER_BODY_LARGE;
    return ROUTER_BODY_SMALL;
}
