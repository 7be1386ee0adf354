/* Unit tests of router and the route table (routes.c): matching,
 * parameter kinds and limits, 404 vs 405 and Allow, route traits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "api_events.h"
#include "api_holds.h"
#include "api_ops.h"
#include "api_seats.h"
#include "router.h"
#include "routes.h"
#include "validate.h"

static enum router_result match(const char *method, const char *path,
                                struct router_match *m)
{
    return router_match(routes_get(), method, path, strlen(path), m);
}

static void test_static_routes(void **state)
{
    struct router_match m;

    assert_int_equal(match("GET", "/healthz", &m), ROUTER_FOUND);
    assert_ptr_equal(m.route->handler, api_healthz);
    assert_int_equal(m.nparams, 0);
    assert_int_equal(match("GET", "/v1/events", &m), ROUTER_FOUND);
    assert_ptr_equal(m.route->handler, api_events_list);
    assert_int_equal(match("GET", "/v1/events/", &m), ROUTER_FOUND);
    assert_ptr_equal(m.route->handler, api_events_list);
}

static void test_params(void **state)
{
    struct router_match m;

    assert_int_equal(match("POST", "/v1/events/show-1/holds/abc_DEF/reserve", &m),
                     ROUTER_FOUND);
    assert_ptr_equal(m.route->handler, api_hold_reserve);
    assert_int_equal(m.nparams, 2);
    assert_int_equal(m.kind[0], PARAM_EVENT);
    assert_string_equal(m.param[0], "show-1");
    assert_int_equal(m.kind[1], PARAM_HOLD);
    assert_string_equal(m.param[1], "abc_DEF");
    assert_int_equal(m.param_len[1], 7);
    assert_true(m.route->flags & ROUTE_FINISHING);

    assert_int_equal(match("GET", "/v1/events/e/orders/o:1", &m), ROUTER_FOUND);
    assert_int_equal(m.kind[1], PARAM_ORDER);
    assert_string_equal(m.param[1], "o:1");
    assert_int_equal(m.route->body, BODY_NONE);
    assert_false(m.route->flags & ROUTE_FINISHING);
    assert_int_equal(router_param_max(PARAM_ORDER), ORDER_ID_MAX);
    assert_int_equal(router_param_max(PARAM_HOLD), ID_MAX);
    assert_string_equal(router_param_name(PARAM_ORDER), "order");

    assert_int_equal(match("PUT", "/v1/events/e", &m), ROUTER_FOUND);
    assert_int_equal(m.route->body, BODY_JSON_MAP);
    assert_int_equal(match("POST", "/v1/events/e/holds", &m), ROUTER_FOUND);
    assert_int_equal(m.route->body, BODY_JSON);
}

static void test_long_param_is_flagged(void **state)
{
    struct router_match m;
    char path[512] = "/v1/events/";

    memset(path + 11, 'x', 200);
    assert_int_equal(match("GET", path, &m), ROUTER_FOUND);
    assert_int_equal(m.param_len[0], ROUTER_PARAM_MAX + 1);
}

static void test_not_found(void **state)
{
    struct router_match m;

    assert_int_equal(match("GET", "/", &m), ROUTER_NOT_FOUND);
    assert_int_equal(match("GET", "/v1/events//holds", &m), ROUTER_NOT_FOUND);
    assert_int_equal(match("GET", "/v1/events/e/holds/h/x", &m), ROUTER_NOT_FOUND);
    assert_int_equal(match("GET", "/v1/eventsX", &m), ROUTER_NOT_FOUND);
    assert_int_equal(match("GET", "/healthzz", &m), ROUTER_NOT_FOUND);
}

static void test_bad_method_lists_allow(void **state)
{
    struct router_match m;

    assert_int_equal(match("PATCH", "/v1/events/e", &m), ROUTER_BAD_METHOD);
    assert_null(m.route);
    assert_string_equal(m.allow, "PUT, GET, HEAD, DELETE");
    assert_int_equal(match("GET", "/v1/events/e/block", &m), ROUTER_BAD_METHOD);
    assert_string_equal(m.allow, "POST");
    assert_int_equal(match("HEAD", "/v1/events/e/block", &m), ROUTER_BAD_METHOD);
}

/* HEAD takes the GET route of a path (RFC 9110 9.3.2), and only that. */
static void test_head_is_get(void **state)
{
    struct router_match m;

    assert_int_equal(match("HEAD", "/v1/events/e/seats", &m), ROUTER_FOUND);
    assert_string_equal(m.route->method, "GET");
    assert_string_equal(m.route->pattern, "/v1/events/{event}/seats");
    assert_int_equal(match("HEAD", "/healthz", &m), ROUTER_FOUND);
}

static void test_table_is_consistent(void **state)
{
    const struct router *rt = routes_get();
    const struct route *r = rt->routes;
    size_t n = rt->n, i, j;

    assert_true(n >= 16);
    for (i = 0; i < n; i++) {
        const char *p;
        assert_non_null(r[i].handler);
        assert_true(r[i].pattern[0] == '/');
        /* every parameter is one of the known kinds */
        for (p = strchr(r[i].pattern, '{'); p; p = strchr(p + 1, '{'))
            assert_true(strncmp(p, "{event}", 7) == 0 || strncmp(p, "{hold}", 6) == 0 ||
                        strncmp(p, "{order}", 7) == 0 || strncmp(p, "{ticket}", 8) == 0);
        /* a route finishing a buyer's work is about a hold */
        if (r[i].flags & ROUTE_FINISHING)
            assert_non_null(strstr(r[i].pattern, "{hold}"));
        /* the shared seat handler always has its action */
        if (r[i].handler == api_seats_change)
            assert_non_null(r[i].data);
        for (j = 0; j < i; j++)   /* no (method, pattern) twice */
            assert_false(strcmp(r[i].method, r[j].method) == 0 &&
                         strcmp(r[i].pattern, r[j].pattern) == 0);
    }
}

static void test_body_limits(void **state)
{
    /* seat maps may be large; everything else, and no route, is small */
    const struct router *rt = routes_get();

    assert_int_equal(router_body_max(rt, "PUT", "/v1/events/e1"), ROUTER_BODY_LARGE);
    assert_int_equal(router_body_max(rt, "PUT", "/v1/events/e1?x=1"), ROUTER_BODY_LARGE);
    assert_int_equal(router_body_max(rt, "POST", "/v1/events/e1/holds"), ROUTER_BODY_SMALL);
    assert_int_equal(router_body_max(rt, "GET", "/v1/events/e1"), ROUTER_BODY_SMALL);
    assert_int_equal(router_body_max(rt, "PUT", "/nowhere"), ROUTER_BODY_SMALL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_static_routes),
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_long_param_is_flagged),
        cmocka_unit_test(test_not_found),
        cmocka_unit_test(test_bad_method_lists_allow),
        cmocka_unit_test(test_head_is_get),
        cmocka_unit_test(test_table_is_consistent),
        cmocka_unit_test(test_body_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
