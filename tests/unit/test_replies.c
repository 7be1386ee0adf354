/* Unit tests of replies: each script reply shape decoded into its view,
 * and replies of another shape refused, on hand-built hiredis replies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_reply.h"
#include "replies.h"

static void test_event_read(void **state)
{
    redisReply it[12], *p[12], r;
    struct event_view v;

    it[0] = S("Gala"), it[1] = I(600), it[2] = I(1800), it[3] = I(6), it[4] = S("[]");
    it[5] = S("..hr"), it[6] = S(""), it[7] = S("17-0"), it[8] = I(8), it[9] = S("tok");
    it[10] = S("[{\"id\":\"floor\"}]"), it[11] = S("");
    r = AV(it, p, 12);
    assert_int_equal(replies_event(&r, &v), 0);
    assert_true(replies_is(v.name, "Gala"));
    assert_int_equal(v.hold_ttl_s, 600);
    assert_int_equal(v.max_hold_ttl_s, 1800);
    assert_int_equal(v.max_seats_per_hold, 6);
    assert_int_equal(v.max_seats_per_holder, 8);
    assert_int_equal(v.status.len, 4);
    assert_int_equal(v.layout.len, 0);
    assert_true(replies_is(v.journal_id, "17-0"));
    assert_true(replies_is(v.layout_id, "tok"));
    assert_true(replies_is(v.areas, "[{\"id\":\"floor\"}]"));
    /* a number where a string belongs, or a short list: not this shape */
    it[5] = I(1);
    assert_int_equal(replies_event(&r, &v), -1);
    it[5] = S("..hr");
    r = AV(it, p, 11);        /* an older script's reply, without the queue */
    assert_int_equal(replies_event(&r, &v), -1);
}

static void test_hold_reply(void **state)
{
    redisReply r;
    struct hold_view v;

    r = S(" h1 reserved 1 2 3  ord-1 A-2 A-1,A-3");
    assert_int_equal(replies_hold(&r, &v), 0);
    assert_true(replies_is(v.id, "h1"));
    assert_true(replies_is(v.state, "reserved"));
    assert_true(replies_is(v.order, "ord-1"));
    assert_true(replies_is(v.refunded, "A-2"));
    assert_true(replies_is(v.seats, "A-1,A-3"));
    assert_int_equal(v.holder.len, 0);
    assert_int_equal(v.created_ms + v.expires_ms + v.now_ms, 6);
    assert_int_equal(v.replay, -1);
    /* a hold operation's replay flag */
    r = S("1 h2 held 1796155600713 1796156200713 1796155600713 b7   S0-R0-1");
    assert_int_equal(replies_hold(&r, &v), 0);
    assert_int_equal(v.replay, 1);
    assert_int_equal(v.expires_ms, 1796156200713LL);
    assert_true(replies_is(v.holder, "b7"));
    r = S("0 h2 held 1 2 3    S0-R0-1");
    assert_int_equal(replies_hold(&r, &v), 0);
    assert_int_equal(v.replay, 0);
    /* general-admission places last, after seats or best available's two */
    r = S("0 h3 held 1 2 3    A-1 @floor=4,pit=2");
    assert_int_equal(replies_hold(&r, &v), 0);
    assert_true(replies_is(v.seats, "A-1"));
    assert_true(replies_is(v.areas, "floor=4,pit=2"));
    assert_int_equal(v.together, -1);
    r = S("0 h3 held 1 2 3     @floor=4");
    assert_int_equal(replies_hold(&r, &v), 0);
    assert_int_equal(v.seats.len, 0);
    assert_true(replies_is(v.areas, "floor=4"));
    r = S("0 h3 held 1 2 3    A-1,A-2 1 0.950 @floor=1");
    assert_int_equal(replies_hold(&r, &v), 0);
    assert_int_equal(v.together, 1);
    assert_true(replies_is(v.quality, "0.950"));
    assert_true(replies_is(v.areas, "floor=1"));
    r = S("0 h3 held 1 2 3    A-1,A-2 1 0.950");
    assert_int_equal(replies_hold(&r, &v), 0);
    assert_int_equal(v.areas.len, 0);
    /* too few fields, a number that is not, an array: not a hold */
    r = S("0 h2 held 1 2 3");
    assert_int_equal(replies_hold(&r, &v), -1);
    r = S("0 h2 held 1 x 3    S0-R0-1");
    assert_int_equal(replies_hold(&r, &v), -1);
    r = I(5);
    assert_int_equal(replies_hold(&r, &v), -1);
}

static void test_queue_replies(void **state)
{
    redisReply it[8], *p[8], r;
    struct ticket_view t;
    struct queue_view q;

    it[0] = S("Tk"), it[1] = S("admitted"), it[2] = I(4), it[3] = I(-1), it[4] = I(1796);
    r = AV(it, p, 5);
    assert_int_equal(replies_ticket(&r, 1, &t), 0);
    assert_true(replies_is(t.ticket, "Tk"));
    assert_true(replies_is(t.status, "admitted"));
    assert_int_equal(t.position, 4);
    assert_int_equal(t.wait_s, -1);
    assert_int_equal(t.ends_ms, 1796);
    r = AV(it + 1, p, 4);                    /* queue_get's: no ticket first */
    assert_int_equal(replies_ticket(&r, 0, &t), 0);
    assert_int_equal(t.ticket.len, 0);
    assert_int_equal(replies_ticket(&r, 1, &t), -1);
    it[0] = I(10), it[1] = I(7), it[2] = I(2), it[3] = I(1), it[4] = S("120.500");
    it[5] = I(-1), it[6] = S("sold_out"), it[7] = I(99);
    r = AV(it, p, 8);
    assert_int_equal(replies_queue(&r, &q), 0);
    assert_int_equal(q.joined + q.waiting + q.admitted + q.expired, 20);
    assert_true(q.rate_per_min > 120.4 && q.rate_per_min < 120.6);
    assert_int_equal(q.clear_s, -1);
    assert_true(replies_is(q.state, "sold_out"));
    assert_int_equal(q.onsale_ms, 99);
    it[4] = I(120);                          /* the rate is a string */
    assert_int_equal(replies_queue(&r, &q), -1);
}

static void test_sweep(void **state)
{
    redisReply it[3], *p[3], r;
    struct sweep_view v;

    it[0] = I(500), it[1] = I(3), it[2] = I(1);
    r = AV(it, p, 3);
    assert_int_equal(replies_sweep(&r, &v), 0);
    assert_int_equal(v.expired, 500);
    assert_int_equal(v.purged, 3);
    assert_int_equal(v.more, 1);
    it[2] = S("1");
    assert_int_equal(replies_sweep(&r, &v), -1);
    r = AV(it, p, 2);
    assert_int_equal(replies_sweep(&r, &v), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_read),
        cmocka_unit_test(test_hold_reply),
        cmocka_unit_test(test_queue_replies),
        cmocka_unit_test(test_sweep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
