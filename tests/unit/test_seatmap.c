/* Unit tests of seatmap: both row forms, layout lines, sections, limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "seatmap.h"

static int parse(const char *text, struct seatmap *m, struct verr *e)
{
    json_t *j = json_loads(text, 0, NULL);
    int rc;

    assert_non_null(j);
    rc = seatmap_parse(j, m, e);
    json_decref(j);
    return rc;
}

static void test_range_and_seats(void **state)
{
    struct seatmap m;
    struct verr e = {0};
    char *lines;
    size_t n;
    json_t *j = json_loads(
        "{\"name\":\"T\",\"hold_ttl_s\":30,\"sections\":["
        "{\"id\":\"A\",\"name\":\"Stalls\",\"rows\":[{\"id\":\"1\",\"range\":{\"from\":9,\"to\":10},\"category\":\"VIP\"}]},"
        "{\"id\":\"B\",\"rows\":[{\"id\":\"k\",\"seats\":[{\"id\":\"b1\",\"x\":1.25,\"y\":-3}]}]}]}",
        0, NULL);

    assert_int_equal(seatmap_parse(j, &m, &e), 0);
    assert_string_equal(m.name, "T");
    assert_int_equal(m.hold_ttl_s, 30);
    assert_int_equal(m.max_hold_ttl_s, 1800);
    assert_int_equal(m.max_seats_per_hold, 10);
    assert_int_equal(m.nseats, 3);
    assert_string_equal(m.seat[0], "A-1-9");
    assert_string_equal(m.seat[1], "A-1-10");
    assert_string_equal(m.seat[2], "b1");
    assert_int_equal(m.seat_len[1], 6);
    /* stored compact: a row line, then a range line or one line a seat */
    assert_string_equal(m.layout,
        "\t0\t\"section\":\"A\",\"row\":\"1\",\"category\":\"VIP\"\n"
        "*A-1-\t9\t10\n"
        "\t1\t\"section\":\"B\",\"row\":\"k\"\n"
        "b1,\"x\":1.25,\"y\":-3\n");
    assert_int_equal(m.layout_len, strlen(m.layout));
    /* listed as one line per seat, the tail of each seat's JSON object */
    assert_int_equal(seatmap_layout_expand(m.layout, m.layout_len, &lines, &n), 0);
    assert_non_null(lines);
    assert_string_equal(lines,
        "0\t\"id\":\"A-1-9\",\"section\":\"A\",\"row\":\"1\",\"category\":\"VIP\"}\n"
        "0\t\"id\":\"A-1-10\",\"section\":\"A\",\"row\":\"1\",\"category\":\"VIP\"}\n"
        "1\t\"id\":\"b1\",\"section\":\"B\",\"row\":\"k\",\"x\":1.25,\"y\":-3}\n");
    assert_int_equal(n, strlen(lines));
    free(lines);
    assert_string_equal(m.sections_json,
        "[{\"id\":\"A\",\"name\":\"Stalls\",\"n\":2},{\"id\":\"B\",\"name\":\"B\",\"n\":1}]");
    seatmap_deinit(&m);
    json_decref(j);
}

static void test_category_is_escaped(void **state)
{
    struct seatmap m;
    struct verr e = {0};

    assert_int_equal(parse("{\"name\":\"T\",\"sections\":[{\"id\":\"A\",\"rows\":[{\"id\":\"1\","
                           "\"seats\":[{\"id\":\"s\",\"category\":\"a\\\"b\"}]}]}]}", &m, &e), 0);
    assert_non_null(strstr(m.layout, "\ns,\"category\":\"a\\\"b\"\n"));
    seatmap_deinit(&m);
}

/* A layout an older usherd stored is already one line a seat; a broken
 * compact one is refused, never read past its end. */
static void test_expand_old_and_malformed(void **state)
{
    static const char *const bad[] = {
        "\t0\n",                       /* a row without its tail */
        "\t0\t\"section\":\"A\"",       /* no LF */
        "\t0\tx\n*A-\t5\t4\n",           /* to below from */
        "\t0\tx\n*A-\t1\n",              /* no to */
        "\t0\tx\n*A-\t1\t999999999\n",   /* more seats than a map may have */
    };
    const char *old = "0\t\"id\":\"a\",\"section\":\"A\",\"row\":\"1\"}\n";
    char *lines = (char *)1;
    size_t n = 1;

    assert_int_equal(seatmap_layout_expand(old, strlen(old), &lines, &n), 0);
    assert_null(lines);
    assert_int_equal(seatmap_layout_expand("", 0, &lines, &n), 0);
    assert_null(lines);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(seatmap_layout_expand(bad[i], strlen(bad[i]), &lines, &n), -1);
        assert_null(lines);
    }
    assert_int_equal(seatmap_layout_expand("\t0\tx\nb\n", 7, &lines, &n), 0);
    assert_string_equal(lines, "0\t\"id\":\"b\",x}\n");
    free(lines);
}

static void expect_error(const char *text, enum err_code code)
{
    struct seatmap m;
    struct verr e = {0};

    assert_int_equal(parse(text, &m, &e), -1);
    assert_int_equal(e.code, code);
    assert_true(e.msg[0] != '\0');
    assert_null(m.layout);
    validate_verr_clear(&e);
}

static void test_errors(void **state)
{
    expect_error("{\"sections\":[]}", ERR_INVALID_REQUEST);
    expect_error("{\"name\":\"x\",\"sections\":[]}", ERR_INVALID_REQUEST);
    expect_error("{\"name\":\"x\",\"sections\":[{\"id\":\"A\",\"rows\":[]}]}", ERR_INVALID_REQUEST);
    expect_error("{\"name\":\"x\",\"bogus\":1,\"sections\":[]}", ERR_INVALID_REQUEST);
    expect_error("{\"name\":\"x\",\"sections\":[{\"id\":\"A\",\"rows\":[{\"id\":\"1\","
                 "\"seats\":[{\"id\":\"s\"},{\"id\":\"s\"}]}]}]}", ERR_DUPLICATE_SEAT);
    expect_error("{\"name\":\"x\",\"sections\":[{\"id\":\"A\",\"rows\":[{\"id\":\"1\","
                 "\"seats\":[{\"id\":\"A-1-1\"}]},{\"id\":\"1\",\"range\":{\"from\":1,\"to\":1}}]}]}",
                 ERR_DUPLICATE_SEAT);
    expect_error("{\"name\":\"x\",\"sections\":[{\"id\":\"A\",\"rows\":[]},{\"id\":\"A\",\"rows\":[]}]}",
                 ERR_DUPLICATE_SECTION);
    expect_error("{\"name\":\"x\",\"sections\":[{\"id\":\"A{\",\"rows\":[]}]}", ERR_INVALID_ID);
    expect_error("{\"name\":\"x\",\"sections\":[{\"id\":\"A\",\"rows\":[{\"id\":\"1\","
                 "\"range\":{\"from\":5,\"to\":4}}]}]}", ERR_INVALID_REQUEST);
    expect_error("{\"name\":\"x\",\"sections\":[{\"id\":\"A\",\"rows\":[{\"id\":\"1\","
                 "\"range\":{\"from\":1,\"to\":2},\"seats\":[]}]}]}", ERR_INVALID_REQUEST);
    expect_error("{\"name\":\"x\",\"sections\":[{\"id\":\"A\",\"rows\":[{\"id\":\"1\","
                 "\"range\":{\"from\":1,\"to\":200001}}]}]}", ERR_TOO_MANY_SEATS);
    expect_error("{\"name\":\"x\",\"hold_ttl_s\":0,\"sections\":[]}", ERR_INVALID_REQUEST);
    expect_error("{\"name\":\"x\",\"hold_ttl_s\":100,\"max_hold_ttl_s\":50,\"sections\":[]}",
                 ERR_INVALID_REQUEST);
    /* a generated id longer than 64 characters */
    expect_error("{\"name\":\"x\",\"sections\":[{\"id\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
                 "\"rows\":[{\"id\":\"RRRRRRRRRRRRRRRRRRRR\",\"range\":{\"from\":1,\"to\":1}}]}]}",
                 ERR_INVALID_ID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_range_and_seats),
        cmocka_unit_test(test_expand_old_and_malformed),
        cmocka_unit_test(test_category_is_escaped),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
