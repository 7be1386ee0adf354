/* routes — see routes.h. */
#include "routes.h"

#include "api_events.h"
#include "api_holds.h"
#include "api_ops.h"
#include "api_queue.h"
#include "api_seats.h"
#include "stream.h"

static const struct seats_action seats_release = {SCRIPT_SEATS_RELEASE, "released", 1};
static const struct seats_action seats_block = {SCRIPT_SEATS_BLOCK, "blocked", 0};
static const struct seats_action seats_unblock = {SCRIPT_SEATS_UNBLOCK, "unblocked", 0};

#define OPEN ROLE_OPEN
#define CHECKOUT ROLE_CHECKOUT
#define ADMIN ROLE_ADMIN
#define FINISHING ROUTE_FINISHING

static const struct route table[] = {
    /* method   pattern                                   handler            body           role      flags, data */
    {"GET",    "/healthz",                               api_healthz,       BODY_NONE,     OPEN,     0, NULL},
    {"GET",    "/readyz",                                api_readyz,        BODY_NONE,     OPEN,     0, NULL},
    {"GET",    "/metrics",                               api_metrics,       BODY_NONE,     OPEN,     0, NULL},
    {"GET",    "/v1/events",                             api_events_list,   BODY_NONE,     CHECKOUT, 0, NULL},
    {"GET",    "/ops",                                   api_ops_index,     BODY_NONE,     OPEN,     0, NULL},
    {"GET",    "/ops/events/{event}",                    api_ops_event,     BODY_NONE,     OPEN,     0, NULL},
    {"PUT",    "/v1/events/{event}",                     api_event_put,     BODY_JSON_MAP, ADMIN,    0, NULL},
    {"GET",    "/v1/events/{event}",                     api_event_get,     BODY_NONE,     CHECKOUT, 0, NULL},
    {"DELETE", "/v1/events/{event}",                     api_event_delete,  BODY_NONE,     ADMIN,    0, NULL},
    {"GET",    "/v1/events/{event}/seats",               api_seats_list,    BODY_NONE,     CHECKOUT, 0, NULL},
    {"GET",    "/v1/events/{event}/stream",              streams_route_open, BODY_NONE,    CHECKOUT,
                                                         ROUTE_COALESCED | ROUTE_QUERY_KEY, NULL},
    {"POST",   "/v1/events/{event}/holds",               api_hold_create,   BODY_JSON,     CHECKOUT, 0, NULL},
    {"GET",    "/v1/events/{event}/holds/{hold}",        api_hold_get,      BODY_NONE,     CHECKOUT, FINISHING, NULL},
    {"DELETE", "/v1/events/{event}/holds/{hold}",        api_hold_release,  BODY_NONE,     CHECKOUT, FINISHING, NULL},
    {"POST",   "/v1/events/{event}/holds/{hold}/extend", api_hold_extend,   BODY_JSON,     CHECKOUT, FINISHING, NULL},
    {"POST",   "/v1/events/{event}/holds/{hold}/reserve", api_hold_reserve, BODY_JSON,     CHECKOUT, FINISHING, NULL},
    {"POST",   "/v1/events/{event}/holds/{hold}/seats",  api_hold_change,   BODY_JSON,     CHECKOUT, FINISHING, NULL},
    {"GET",    "/v1/events/{event}/orders/{order}",      api_order_get,     BODY_NONE,     CHECKOUT, 0, NULL},
    {"POST",   "/v1/events/{event}/queue",               api_queue_join,    BODY_NONE,     CHECKOUT, 0, NULL},
    {"GET",    "/v1/events/{event}/queue",               api_queue_summary, BODY_NONE,     CHECKOUT, 0, NULL},
    {"PUT",    "/v1/events/{event}/queue",               api_queue_set,     BODY_JSON,     ADMIN,    0, NULL},
    {"GET",    "/v1/events/{event}/queue/{ticket}",      api_queue_ticket,  BODY_NONE,     CHECKOUT, 0, NULL},
    {"POST",   "/v1/events/{event}/release",             api_seats_change,  BODY_JSON,     ADMIN,    0, &seats_release},
    {"POST",   "/v1/events/{event}/block",               api_seats_change,  BODY_JSON,     ADMIN,    0, &seats_block},
    {"POST",   "/v1/events/{event}/unblock",             api_seats_change,  BODY_JSON,     ADMIN,    0, &seats_unblock},
};

static struct router router;

const struct router *routes_get(void)
{
    if (!router.n)      /* first called at start, before any request */
        router_init(&router, table, sizeof table / sizeof table[0]);
    return &router;
}
