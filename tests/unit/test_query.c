/* Unit tests of query: pairs in turn, %-decoding, bounds, and the path
 * normalisation of unreserved escapes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "query.h"

static void test_pairs(void **state)
{
    const char *q = "section=A%2DB&&status=held&flag&x=a+b%21";
    char n[16], v[16];

    assert_int_equal(query_next(&q, n, sizeof n, v, sizeof v), QUERY_PAIR);
    assert_string_equal(n, "section");
    assert_string_equal(v, "A-B");
    assert_int_equal(query_next(&q, n, sizeof n, v, sizeof v), QUERY_PAIR);
    assert_string_equal(n, "status");
    assert_string_equal(v, "held");
    assert_int_equal(query_next(&q, n, sizeof n, v, sizeof v), QUERY_PAIR);
    assert_string_equal(n, "flag");
    assert_string_equal(v, "");
    assert_int_equal(query_next(&q, n, sizeof n, v, sizeof v), QUERY_PAIR);
    assert_string_equal(v, "a b!");
    assert_int_equal(query_next(&q, n, sizeof n, v, sizeof v), QUERY_END);
    q = NULL;
    assert_int_equal(query_next(&q, n, sizeof n, v, sizeof v), QUERY_END);
}

static void test_bad_pairs_do_not_stop_the_walk(void **state)
{
    const char *q = "a=%zz&b=%4&c=%00&d=0123456789abcdefXYZ&e=1";
    char n[16], v[16];
    int i;

    for (i = 0; i < 4; i++)
        assert_int_equal(query_next(&q, n, sizeof n, v, sizeof v), QUERY_BAD);
    assert_int_equal(query_next(&q, n, sizeof n, v, sizeof v), QUERY_PAIR);
    assert_string_equal(n, "e");
    assert_string_equal(v, "1");
}

static void test_normalize_path(void **state)
{
    char out[64];
    const char *p = "/v1/%65%76%2Dx/%2F%2e%2E%7e%41%25";

    assert_int_equal(query_normalize_path(p, strlen(p), out), strlen("/v1/ev-x/%2F..~A%25"));
    assert_string_equal(out, "/v1/ev-x/%2F..~A%25");
    p = "/a%6";                       /* a cut escape stays as it is */
    query_normalize_path(p, strlen(p), out);
    assert_string_equal(out, "/a%6");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pairs),
        cmocka_unit_test(test_bad_pairs_do_not_stop_the_walk),
        cmocka_unit_test(test_normalize_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
