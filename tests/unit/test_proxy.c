/* Unit tests of proxy: parsing the trusted list, prefix matching, and
 * finding the client in X-Forwarded-For without trusting what a client
 * wrote itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>

#include "proxy.h"

static void test_parse(void **state)
{
    struct proxy_list l;

    (void)state;
    assert_int_equal(proxy_parse(&l, ""), 0);
    assert_int_equal(l.n, 0);
    assert_int_equal(proxy_parse(&l, "10.0.0.0/8, 127.0.0.1 ,::1,fd00::/8"), 0);
    assert_int_equal(l.n, 4);
    assert_int_equal(l.p[0].bits, 8);
    assert_int_equal(l.p[1].bits, 32);
    assert_int_equal(l.p[2].bits, 128);
    assert_int_equal(proxy_parse(&l, "lb.example.com"), -1);     /* no names */
    assert_int_equal(proxy_parse(&l, "10.0.0.0/33"), -1);
    assert_int_equal(proxy_parse(&l, "10.0.0.0/"), -1);
    assert_int_equal(proxy_parse(&l, "10.0.0.0/8x"), -1);
    assert_int_equal(proxy_parse(&l, "10.0.0.1,"), 0);           /* trailing comma */
    assert_int_equal(proxy_parse(&l, "1.1.1.1,1.1.1.2,1.1.1.3,1.1.1.4,1.1.1.5,1.1.1.6,"
                                     "1.1.1.7,1.1.1.8,1.1.1.9,1.1.1.10,1.1.1.11,1.1.1.12,"
                                     "1.1.1.13,1.1.1.14,1.1.1.15,1.1.1.16,1.1.1.17"), -1);
}

static void test_trusted(void **state)
{
    struct proxy_list l;

    (void)state;
    assert_int_equal(proxy_parse(&l, "10.1.0.0/20,::1"), 0);
    assert_true(proxy_trusted(&l, "10.1.15.255", 11));
    assert_false(proxy_trusted(&l, "10.1.16.0", 9));
    assert_true(proxy_trusted(&l, "::ffff:10.1.0.7", 15));      /* v4-mapped */
    assert_true(proxy_trusted(&l, "::1", 3));
    assert_false(proxy_trusted(&l, "::2", 3));
    assert_false(proxy_trusted(&l, "garbage", 7));
    assert_int_equal(proxy_parse(&l, "0.0.0.0/0"), 0);
    assert_true(proxy_trusted(&l, "203.0.113.9", 11));
    assert_false(proxy_trusted(&l, "2001:db8::1", 11));          /* other family */
}

static void test_client(void **state)
{
    struct proxy_list l, none;
    char out[48];

    (void)state;
    assert_int_equal(proxy_parse(&l, "127.0.0.1,10.0.0.0/8"), 0);
    assert_int_equal(proxy_parse(&none, ""), 0);
    /* an untrusted peer is the client whatever it says */
    assert_string_equal(proxy_client(&l, "192.0.2.1", "203.0.113.5", out, sizeof out), "192.0.2.1");
    assert_string_equal(proxy_client(&none, "127.0.0.1", "203.0.113.5", out, sizeof out),
                        "127.0.0.1");
    /* a trusted peer: the rightmost address that is not a proxy */
    assert_string_equal(proxy_client(&l, "127.0.0.1", "203.0.113.5", out, sizeof out),
                        "203.0.113.5");
    assert_string_equal(proxy_client(&l, "127.0.0.1", "6.6.6.6, 203.0.113.5, 10.2.3.4",
                                     out, sizeof out), "203.0.113.5");
    assert_string_equal(proxy_client(&l, "127.0.0.1", " 2001:db8::7 ", out, sizeof out),
                        "2001:db8::7");
    /* no header, an empty one, or garbage next to the proxy: the peer */
    assert_string_equal(proxy_client(&l, "127.0.0.1", NULL, out, sizeof out), "127.0.0.1");
    assert_string_equal(proxy_client(&l, "127.0.0.1", "", out, sizeof out), "127.0.0.1");
    assert_string_equal(proxy_client(&l, "127.0.0.1", "203.0.113.5, junk", out, sizeof out),
                        "127.0.0.1");
    /* garbage further left: the last good address */
    assert_string_equal(proxy_client(&l, "127.0.0.1", "junk, 203.0.113.5", out, sizeof out),
                        "203.0.113.5");
    /* every hop a proxy: the leftmost */
    assert_string_equal(proxy_client(&l, "127.0.0.1", "10.9.9.9, 10.0.0.1", out, sizeof out),
                        "10.9.9.9");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_trusted),
        cmocka_unit_test(test_client),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
