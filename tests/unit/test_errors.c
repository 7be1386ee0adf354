/* Unit tests of errors: the table, script error mapping, error bodies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>

#include "errors.h"

static void test_table_complete(void **state)
{
    int e, f;

    for (e = 0; e < ERR__COUNT; e++) {
        const struct err_info *i = errors_info((enum err_code)e);
        assert_non_null(i->code);
        assert_non_null(i->message);
        assert_true(i->status >= 400 && i->status < 600);
        for (f = 0; f < e; f++)
            assert_string_not_equal(i->code, errors_info((enum err_code)f)->code);
    }
    assert_int_equal(errors_info(ERR_SEATS_UNAVAILABLE)->status, 409);
    assert_int_equal(errors_info(ERR_HOLD_EXPIRED)->status, 410);
    assert_int_equal(errors_info(ERR_UNKNOWN_SEATS)->status, 422);
    assert_int_equal(errors_info(ERR_REDIS_UNAVAILABLE)->status, 503);
    assert_int_equal(errors_info(ERR_BODY_TOO_LARGE)->status, 413);
}

static void test_from_script(void **state)
{
    const char *r1 = "SEATS_UNAVAILABLE A-1-1 B-2-2";
    json_t *seats;

    assert_int_equal(errors_from_script(r1, strlen(r1), &seats), ERR_SEATS_UNAVAILABLE);
    assert_int_equal(json_array_size(seats), 2);
    assert_string_equal(json_string_value(json_array_get(seats, 1)), "B-2-2");
    json_decref(seats);

    /* a hold that asked for suggestions: the offer follows a lone '|' */
    {
        const char *r2 = "SEATS_UNAVAILABLE A-1 | B-1 B-2";
        json_t *alt = errors_alternatives(r2, strlen(r2));
        assert_int_equal(errors_from_script(r2, strlen(r2), &seats), ERR_SEATS_UNAVAILABLE);
        assert_int_equal(json_array_size(seats), 1);
        json_decref(seats);
        assert_int_equal(json_array_size(alt), 1);
        assert_int_equal(json_array_size(json_object_get(json_array_get(alt, 0), "seats")), 2);
        json_decref(alt);
        alt = errors_alternatives("SEATS_UNAVAILABLE A-1 |", 23);
        assert_int_equal(json_array_size(alt), 0);
        assert_non_null(alt);
        json_decref(alt);
        assert_null(errors_alternatives(r1, strlen(r1)));
    }

    assert_int_equal(errors_from_script("HOLD_EXPIRED", 12, &seats), ERR_HOLD_EXPIRED);
    assert_null(seats);
    assert_int_equal(errors_from_script("EVENT_NOT_FOUND", 15, NULL), ERR_EVENT_NOT_FOUND);
    /* how Redis 7 passes on a one-word error_reply */
    assert_int_equal(errors_from_script("ERR HOLD_NOT_FOUND", 18, &seats), ERR_HOLD_NOT_FOUND);
    assert_null(seats);
    assert_int_equal(errors_from_script("ERR unknown command", 19, NULL), ERR_INTERNAL);
    /* Redis' own errors are not ours */
    assert_int_equal(errors_from_script("OOM command not allowed", 23, &seats), ERR_INTERNAL);
    assert_null(seats);
    assert_int_equal(errors_from_script("HOLD_EXPIREDX", 13, NULL), ERR_INTERNAL);
    assert_int_equal(errors_from_script("HOLD", 4, NULL), ERR_INTERNAL);
}

static void test_body(void **state)
{
    json_t *b = errors_body(ERR_UNKNOWN_SEATS, NULL,
                            json_pack("{s:[s]}", "seats", "x"));
    json_t *err = json_object_get(b, "error");

    assert_string_equal(json_string_value(json_object_get(err, "code")), "unknown_seats");
    assert_string_equal(json_string_value(json_object_get(err, "message")),
                        errors_info(ERR_UNKNOWN_SEATS)->message);
    assert_int_equal(json_array_size(json_object_get(err, "seats")), 1);
    json_decref(b);
    b = errors_body(ERR_INVALID_REQUEST, "Field x.", NULL);
    assert_string_equal(json_string_value(json_object_get(json_object_get(b, "error"),
                                                          "message")), "Field x.");
    json_decref(b);
}

/* The cached refusal bodies are exactly errors_body(e, NULL, NULL). */
static void test_default_body(void **state)
{
    int e;

    (void)state;
    for (e = 0; e < ERR__COUNT; e++) {
        json_t *b = errors_body((enum err_code)e, NULL, NULL);
        char *want = json_dumps(b, JSON_COMPACT);
        size_t len = 0;
        const char *got = errors_default_body((enum err_code)e, &len);
        assert_non_null(got);
        assert_int_equal(len, strlen(want) + 1);
        assert_memory_equal(got, want, strlen(want));
        assert_int_equal(got[len - 1], '\n');
        assert_ptr_equal(errors_default_body((enum err_code)e, &len), got);
        free(want);
        json_decref(b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_complete),
        cmocka_unit_test(test_from_script),
        cmocka_unit_test(test_body),
        cmocka_unit_test(test_default_body),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
