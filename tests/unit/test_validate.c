/* Unit tests of validate: ids, fields, integers and seat lists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "validate.h"

static json_t *J(const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    return j;
}

static void test_ids(void **state)
{
    char long_id[80];

    assert_true(validate_id("A-1.b_c:9", 9, ID_MAX));
    assert_false(validate_id("", 0, ID_MAX));
    assert_false(validate_id("a b", 3, ID_MAX));
    assert_false(validate_id("a{b}", 4, ID_MAX));
    assert_false(validate_id("a/b", 3, ID_MAX));
    assert_false(validate_id("a\0b", 3, ID_MAX));
    assert_false(validate_id("\xc3\xa9", 2, ID_MAX));
    memset(long_id, 'x', sizeof long_id);
    assert_true(validate_id(long_id, 64, ID_MAX));
    assert_false(validate_id(long_id, 65, ID_MAX));
    assert_true(validate_id(long_id, 65, ORDER_ID_MAX));
    /* no URL-normalising client can send these in a path */
    assert_false(validate_id(".", 1, ID_MAX));
    assert_false(validate_id("..", 2, ID_MAX));
    assert_true(validate_id("...", 3, ID_MAX));
    assert_true(validate_id(".a", 2, ID_MAX));
}

/* Lengths are characters, as JSON Schema's maxLength counts them: a
 * 101-character name of two-byte letters is within 200, a 70-character
 * Japanese one too; 201 characters are not. */
static void test_lengths_in_characters(void **state)
{
    struct verr e = {0};
    char text[1200], *p = text;
    const char *s;
    json_t *o;
    int i;

    p += sprintf(p, "{\"e\":\"");
    for (i = 0; i < 101; i++)
        p += sprintf(p, "\xc3\xa9");
    p += sprintf(p, "\",\"j\":\"");
    for (i = 0; i < 70; i++)
        p += sprintf(p, "\xe5\x8a\x87");
    p += sprintf(p, "\",\"x\":\"");
    for (i = 0; i < 201; i++)
        p += sprintf(p, "x");
    sprintf(p, "\",\"nul\":null}");
    o = J(text);
    assert_int_equal(validate_chars("\xc3\xa9" "a" "\xe5\x8a\x87\xf0\x9f\x8e\xab", 10), 4);
    assert_int_equal(validate_string(o, "e", 1, 200, 0, &s, &e), 0);
    assert_int_equal(validate_string(o, "e", 1, 100, 0, &s, &e), -1);
    assert_int_equal(validate_string(o, "j", 1, 200, 0, &s, &e), 0);
    assert_int_equal(validate_string(o, "x", 1, 200, 0, &s, &e), -1);
    assert_int_equal(e.code, ERR_INVALID_REQUEST);
    /* null is not a string: leave the field out instead */
    assert_int_equal(validate_string(o, "nul", 0, 200, 0, &s, &e), -1);
    assert_int_equal(e.code, ERR_INVALID_REQUEST);
    json_decref(o);
}

/* An integral number is an integer however written (JSON Schema). */
static void test_integral_reals(void **state)
{
    struct verr e = {0};
    json_t *o = J("{\"a\":2.0,\"b\":1e2,\"c\":2.5,\"d\":-0.0,\"big\":1e300}");
    json_int_t v = 0;

    assert_int_equal(validate_int(o, "a", 1, 1, 10, ERR_INVALID_TTL, &v, &e), 0);
    assert_int_equal(v, 2);
    assert_int_equal(validate_int(o, "b", 1, 1, 1000, ERR_INVALID_TTL, &v, &e), 0);
    assert_int_equal(v, 100);
    assert_int_equal(validate_int(o, "c", 1, 1, 10, ERR_INVALID_TTL, &v, &e), -1);
    assert_int_equal(e.code, ERR_INVALID_REQUEST);
    assert_int_equal(validate_int(o, "d", 1, 0, 10, ERR_INVALID_TTL, &v, &e), 0);
    assert_int_equal(v, 0);
    assert_int_equal(validate_int(o, "big", 1, 1, 10, ERR_INVALID_TTL, &v, &e), -1);
    assert_int_equal(e.code, ERR_INVALID_TTL);
    json_decref(o);
}

static void test_keys(void **state)
{
    static const char *const allowed[] = {"a", "b", NULL};
    struct verr e = {0};
    json_t *ok = J("{\"a\":1,\"b\":2}"), *bad = J("{\"a\":1,\"zz\":2}");

    assert_int_equal(validate_keys(ok, allowed, &e), 0);
    assert_int_equal(validate_keys(bad, allowed, &e), -1);
    assert_int_equal(e.code, ERR_INVALID_REQUEST);
    assert_non_null(strstr(e.msg, "zz"));
    json_decref(ok);
    json_decref(bad);
}

static void test_strings_and_ints(void **state)
{
    struct verr e = {0};
    json_t *o = J("{\"s\":\"x{\",\"i\":5,\"f\":1.5,\"n\":\"7\",\"id\":\"good\"}");
    const char *s;
    json_int_t v = 0;

    assert_int_equal(validate_string(o, "missing", 0, 10, 1, &s, &e), 0);
    assert_null(s);
    assert_int_equal(validate_string(o, "missing", 1, 10, 1, &s, &e), -1);
    assert_int_equal(e.code, ERR_INVALID_REQUEST);
    assert_int_equal(validate_string(o, "s", 1, 10, 1, &s, &e), -1);
    assert_int_equal(e.code, ERR_INVALID_ID);
    assert_int_equal(validate_string(o, "s", 1, 10, 0, &s, &e), 0);
    assert_string_equal(s, "x{");
    assert_int_equal(validate_string(o, "s", 1, 1, 0, &s, &e), -1);
    assert_int_equal(validate_string(o, "i", 1, 10, 0, &s, &e), -1);
    assert_int_equal(validate_string(o, "id", 1, 10, 1, &s, &e), 0);

    assert_int_equal(validate_int(o, "i", 1, 1, 10, ERR_INVALID_TTL, &v, &e), 0);
    assert_int_equal(v, 5);
    assert_int_equal(validate_int(o, "i", 1, 6, 10, ERR_INVALID_TTL, &v, &e), -1);
    assert_int_equal(e.code, ERR_INVALID_TTL);
    assert_int_equal(validate_int(o, "f", 1, 0, 10, ERR_INVALID_TTL, &v, &e), -1);
    assert_int_equal(e.code, ERR_INVALID_REQUEST);
    assert_int_equal(validate_int(o, "n", 1, 0, 10, ERR_INVALID_TTL, &v, &e), -1);
    assert_int_equal(e.code, ERR_INVALID_REQUEST);
    v = 42;
    assert_int_equal(validate_int(o, "none", 0, 0, 10, ERR_INVALID_TTL, &v, &e), 0);
    assert_int_equal(v, 42);
    json_decref(o);
}

static void test_seat_lists(void **state)
{
    struct verr e = {0};
    const char **ids;
    size_t n;
    json_t *o;

    o = J("{\"seats\":[\"b\",\"a\",\"c\"]}");
    assert_int_equal(validate_seat_list(o, 10, &ids, &n, &e), 0);
    assert_int_equal(n, 3);
    assert_string_equal(ids[0], "b");     /* order kept */
    assert_string_equal(ids[2], "c");
    free(ids);
    assert_int_equal(validate_seat_list(o, 2, &ids, &n, &e), -1);
    assert_int_equal(e.code, ERR_INVALID_SEAT_COUNT);
    json_decref(o);

    o = J("{\"seats\":[\"a\",\"b\",\"a\"]}");
    assert_int_equal(validate_seat_list(o, 10, &ids, &n, &e), -1);
    assert_int_equal(e.code, ERR_INVALID_SEAT_COUNT);
    assert_string_equal(json_string_value(json_array_get(json_object_get(e.detail, "seats"), 0)), "a");
    validate_verr_clear(&e);
    json_decref(o);

    o = J("{\"seats\":[]}");
    assert_int_equal(validate_seat_list(o, 10, &ids, &n, &e), -1);
    assert_int_equal(e.code, ERR_INVALID_SEAT_COUNT);
    json_decref(o);

    o = J("{\"seats\":[\"ok\", 3]}");
    assert_int_equal(validate_seat_list(o, 10, &ids, &n, &e), -1);
    assert_int_equal(e.code, ERR_INVALID_REQUEST);
    json_decref(o);

    o = J("{\"seats\":[\"ok\", \"no way\"]}");
    assert_int_equal(validate_seat_list(o, 10, &ids, &n, &e), -1);
    assert_int_equal(e.code, ERR_INVALID_ID);
    json_decref(o);

    o = J("{\"seats\":\"a\"}");
    assert_int_equal(validate_seat_list(o, 10, &ids, &n, &e), -1);
    assert_int_equal(e.code, ERR_INVALID_REQUEST);
    json_decref(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_lengths_in_characters),
        cmocka_unit_test(test_integral_reals),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_strings_and_ints),
        cmocka_unit_test(test_seat_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
