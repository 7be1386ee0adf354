/* Unit tests of sse: stream ids, the XREAD/XRANGE reply shapes, and a
 * journal entry formatted as an SSE message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "fake_reply.h"
#include "sse.h"

static void test_ids(void **state)
{
    struct sse_id a, b;

    assert_int_equal(sse_id_parse("1795318454963-7", 15, &a), 0);
    assert_true(a.ms == 1795318454963ULL && a.seq == 7);
    assert_int_equal(sse_id_parse("", 0, &b), 0);
    assert_true(sse_id_none(b));
    assert_int_equal(sse_id_cmp(b, a), -1);
    assert_int_equal(sse_id_parse("1795318454963-10", 16, &b), 0);
    assert_int_equal(sse_id_cmp(a, b), -1);         /* numbers, not strings */
    assert_int_equal(sse_id_cmp(b, b), 0);
    for (const char *bad = "1-|-1|1-2-3|a-1|1-|99999999999999999999999-1|1 -2"; *bad;) {
        size_t n = strcspn(bad, "|");
        assert_int_equal(sse_id_parse(bad, n, &b), -1);
        bad += n + (bad[n] == '|');
    }
}

/* The XREAD entry [id, [f[0..nf)]] over the caller's storage. */
static redisReply entry(redisReply *id, redisReply *f, redisReply **fp, size_t nf,
                        redisReply *fields, redisReply **ep)
{
    size_t i;

    for (i = 0; i < nf; i++)
        fp[i] = &f[i];
    *fields = A(fp, nf);
    ep[0] = id;
    ep[1] = fields;
    return A(ep, 2);
}

static void test_format_entry(void **state)
{
    redisReply f[8] = {S("seats"), S("A-1 A-2"), S("status"), S("held"), S("cause"), S("hold"),
                       S("ts"), S("1795318454963")};
    redisReply *fp[8], *ep[2], id = S("1795318454963-0"), fields, e;
    char buf[512];
    size_t n;

    e = entry(&id, f, fp, 8, &fields, ep);
    n = sse_format_entry(&e, buf, sizeof buf);
    assert_true(n > 0);
    buf[n] = '\0';
    assert_string_equal(buf, "id: 1795318454963-0\nevent: seats\ndata: {\"seats\":[\"A-1\",\"A-2\"],"
                             "\"status\":\"held\",\"cause\":\"hold\",\"ts\":1795318454963}\n\n");
    assert_int_equal(sse_entry_id(&e).seq, 0);
    assert_int_equal(sse_format_entry(&e, buf, 20), 0);      /* does not fit */
    f[5] = S("replace");                                     /* a new journal: reload */
    n = sse_format_entry(&e, buf, sizeof buf);
    buf[n] = '\0';
    assert_non_null(strstr(buf, "\nevent: reset\n"));
    e = A(ep, 1);
    assert_int_equal(sse_format_entry(&e, buf, sizeof buf), 0);
    assert_true(sse_id_none(sse_entry_id(&e)));
}

/* An entry of a general-admission area: event "area", with its counts. */
static void test_format_area_entry(void **state)
{
    redisReply f[16] = {S("seats"), S(""), S("status"), S("held"), S("cause"), S("hold"),
                        S("ts"), S("17"), S("area"), S("floor"), S("quantity"), S("4"),
                        S("held"), S("9"), S("sold"), S("30")};
    redisReply *fp[16], *ep[2], id = S("17-3"), fields, e;
    char buf[512];
    size_t n;

    e = entry(&id, f, fp, 16, &fields, ep);
    n = sse_format_entry(&e, buf, sizeof buf);
    assert_true(n > 0);
    buf[n] = '\0';
    assert_string_equal(buf, "id: 17-3\nevent: area\ndata: {\"area\":\"floor\",\"quantity\":4,"
                             "\"status\":\"held\",\"cause\":\"hold\",\"held\":9,\"sold\":30,"
                             "\"ts\":17}\n\n");
}

static void test_reply_shapes(void **state)
{
    redisReply id = S("5-1"), fields = A(NULL, 0), *ep[2] = {&id, &fields};
    redisReply entry = A(ep, 2), *lp[1] = {&entry}, list = A(lp, 1);
    redisReply key = S("usher:{e}:journal"), *kp[2] = {&key, &list}, stream = A(kp, 2);
    redisReply *sp[1] = {&stream}, xread = A(sp, 1), nil = {0};

    assert_ptr_equal(sse_xread_entries(&xread), &list);
    nil.type = REDIS_REPLY_NIL;
    assert_null(sse_xread_entries(&nil));
    assert_null(sse_xread_entries(&entry));   /* an entry, not a list of streams */
    assert_int_equal(sse_first_id(&list).ms, 5);
    assert_true(sse_id_none(sse_first_id(&nil)));
    assert_true(sse_id_none(sse_first_id(&fields)));          /* an empty journal */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_format_entry),
        cmocka_unit_test(test_format_area_entry),
        cmocka_unit_test(test_reply_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
