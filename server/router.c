/* router — see router.h. */
#include "router.h"

#include <string.h>

#include "query.h"
#include "util.h"
#include "validate.h"

/* The kinds of path parameter, by their name in a pattern. */
static const struct {
    const char *name;
    size_t len;
    enum param_kind kind;
    size_t max;
} params[] = {
    {"event", 5, PARAM_EVENT, ID_MAX},
    {"hold", 4, PARAM_HOLD, ID_MAX},
    {"order", 5, PARAM_ORDER, ORDER_ID_MAX},
    {"ticket", 6, PARAM_TICKET, ID_MAX},
};

size_t router_param_max(enum param_kind kind)
{
    return params[kind].max;
}

const char *router_param_name(enum param_kind kind)
{
    return params[kind].name;
}

/* The kind of the parameter named pat[0..n) ("hold" of "{hold}"). */
static enum param_kind param_kind_of(const char *pat, size_t n)
{
    size_t i;

    for (i = 0; i < sizeof params / sizeof params[0]; i++)
        if (params[i].len == n && memcmp(params[i].name, pat, n) == 0)
            return params[i].kind;
    return PARAM_EVENT;     /* a table test holds every pattern to the known kinds */
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
            m->kind[m->nparams] = param_kind_of(pat + 1, (size_t)(close - pat - 1));
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

static unsigned char slashes_of(const char *s, size_t len)
{
    unsigned char n = 0;
    size_t i;

    for (i = 0; i < len; i++)
        n += s[i] == '/';
    return n;
}

void router_init(struct router *rt, const struct route *routes, size_t n)
{
    size_t i;

    USHER_ASSERT(n <= ROUTER_MAX_ROUTES);
    rt->routes = routes;
    rt->n = n;
    for (i = 0; i < n; i++)
        rt->slashes[i] = slashes_of(routes[i].pattern, strlen(routes[i].pattern));
}

enum router_result router_match(const struct router *rt, const char *method, const char *path,
                                size_t len, struct router_match *m)
{
    const struct route *routes = rt->routes;
    size_t i, n = rt->n;
    enum router_result res = ROUTER_NOT_FOUND;
    struct router_match tmp;
    char norm[ROUTER_PATH_MAX + 1];
    unsigned char slashes;

    memset(m, 0, sizeof *m);
    if (len > ROUTER_PATH_MAX)
        return ROUTER_NOT_FOUND;
    /* "%65vents" is "events": escapes of unreserved characters name the
     * same resource (RFC 3986 6.2.2.2); no other escape is decoded here */
    if (memchr(path, '%', len)) {    /* most paths have no escape to decode */
        len = query_normalize_path(path, len, norm);
        path = norm;
    }
    /* A trailing slash is not a different resource: "/v1/events/" is
     * "/v1/events". */
    if (len > 1 && path[len - 1] == '/')
        len--;
    slashes = slashes_of(path, len);
    for (i = 0; i < n; i++) {
        const char *rm = routes[i].method;
        if (rt->slashes[i] != slashes || !match_one(routes[i].pattern, path, len, &tmp))
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

size_t router_body_max(const struct router *rt, const char *method, const char *target)
{
    struct router_match m;
    const char *q = strchr(target, '?');

    if (router_match(rt, method, target, q ? (size_t)(q - target) : strlen(target), &m) ==
            ROUTER_FOUND && m.route->body == BODY_JSON_MAP)
        return ROUTER_BODY_LARGE;
    return ROUTER_BODY_SMALL;
}
