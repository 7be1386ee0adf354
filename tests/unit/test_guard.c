/* Unit tests of guard: key lists, roles, constant-time lookup results,
 * token buckets per key and per address, the bounded address table, and
 * the in-flight bound. Time is passed in, so nothing here sleeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "guard.h"

#define CK "checkout-key-0123456789"
#define AD "admin-key-0123456789abc"

static struct guard *make_adaptive(const char *list, double ip_rate, double key_rate,
                                   int max_inflight, int shed_latency_ms)
{
    struct guard_config gc = {NULL, list, ip_rate, ip_rate < 1 ? 1 : ip_rate,
                              key_rate, key_rate < 1 ? 1 : key_rate, max_inflight,
                              shed_latency_ms};
    char err[256];
    struct guard *g = guard_create(&gc, err, sizeof err);

    if (!g)
        fail_msg("guard_create: %s", err);
    return g;
}

static struct guard *make(const char *list, double ip_rate, double key_rate, int max_inflight)
{
    return make_adaptive(list, ip_rate, key_rate, max_inflight, 0);
}

static enum guard_verdict check(struct guard *g, enum route_role role, const char *auth,
                                const char *client, int64_t inflight, uint64_t now)
{
    int retry = 0;
    return guard_check(g, role, 0, auth, NULL, client, inflight, now, &retry, NULL);
}

/* A key's id is the hex of the first 64 bits of its SHA-256 (from
 * Python's hashlib): stable across processes, never the key itself; no
 * key, no id. */
static void test_key_ids(void **state)
{
    struct guard *g = make("checkout:" CK ", admin:" AD, 0, 0, 0);
    const char *id = "x";
    int retry = 0;

    assert_int_equal(guard_check(g, ROLE_CHECKOUT, 0, "Bearer " CK, NULL, "a", 0, 1, &retry, &id),
                     GUARD_PASS);
    assert_string_equal(id, "f2a819287fd8682e");
    assert_int_equal(guard_check(g, ROLE_CHECKOUT, 0, "Bearer " AD, NULL, "a", 0, 1, &retry, &id),
                     GUARD_PASS);
    assert_string_equal(id, "a4eee321288a15c8");
    assert_int_equal(guard_check(g, ROLE_CHECKOUT, 0, NULL, CK, "a", 0, 1, &retry, &id),
                     GUARD_PASS);
    assert_string_equal(id, "f2a819287fd8682e");
    assert_int_equal(guard_check(g, ROLE_CHECKOUT, 0, "Bearer nope", NULL, "a", 0, 1, &retry, &id),
                     GUARD_UNAUTHORIZED);
    assert_null(id);
    guard_destroy(g);
    g = make(NULL, 0, 0, 0);
    id = "x";
    assert_int_equal(guard_check(g, ROLE_CHECKOUT, 0, NULL, NULL, "a", 0, 1, &retry, &id),
                     GUARD_PASS);
    assert_null(id);
    guard_destroy(g);
}

static void test_roles(void **state)
{
    struct guard *g = make("checkout:" CK ", admin:" AD, 0, 0, 0);

    assert_int_equal(guard_keys(g), 2);
    assert_int_equal(check(g, ROLE_OPEN, NULL, "a", 0, 1), GUARD_PASS);
    assert_int_equal(check(g, ROLE_CHECKOUT, NULL, "a", 0, 1), GUARD_UNAUTHORIZED);
    assert_int_equal(check(g, ROLE_CHECKOUT, "Bearer " CK, "a", 0, 1), GUARD_PASS);
    assert_int_equal(check(g, ROLE_CHECKOUT, "bearer  " AD, "a", 0, 1), GUARD_PASS);
    assert_int_equal(check(g, ROLE_ADMIN, "Bearer " CK, "a", 0, 1), GUARD_FORBIDDEN);
    assert_int_equal(check(g, ROLE_ADMIN, "Bearer " AD, "a", 0, 1), GUARD_PASS);
    /* near misses: a prefix, an extension, one byte changed, no scheme */
    assert_int_equal(check(g, ROLE_CHECKOUT, "Bearer checkout-key-012345678", "a", 0, 1),
                     GUARD_UNAUTHORIZED);
    assert_int_equal(check(g, ROLE_CHECKOUT, "Bearer " CK "0", "a", 0, 1), GUARD_UNAUTHORIZED);
    assert_int_equal(check(g, ROLE_CHECKOUT, "Bearer checkout-key-0123456788", "a", 0, 1),
                     GUARD_UNAUTHORIZED);
    assert_int_equal(check(g, ROLE_CHECKOUT, CK, "a", 0, 1), GUARD_UNAUTHORIZED);
    {
        int retry;
        assert_int_equal(guard_check(g, ROLE_CHECKOUT, 0, NULL, CK, "a", 0, 1, &retry, NULL), GUARD_PASS);
        /* a header, even a wrong one, wins over the query */
        assert_int_equal(guard_check(g, ROLE_CHECKOUT, 0, "Bearer x", CK, "a", 0, 1, &retry, NULL),
                         GUARD_UNAUTHORIZED);
        /* an admin key is never taken from the URL, not even for a
         * checkout route */
        assert_int_equal(guard_check(g, ROLE_CHECKOUT, 0, NULL, AD, "a", 0, 1, &retry, NULL),
                         GUARD_ADMIN_KEY_IN_URL);
        assert_int_equal(guard_check(g, ROLE_ADMIN, 0, NULL, AD, "a", 0, 1, &retry, NULL),
                         GUARD_ADMIN_KEY_IN_URL);
    }
    guard_destroy(g);
}

static void test_no_keys_is_open(void **state)
{
    struct guard *g = make(NULL, 0, 0, 0);

    assert_int_equal(guard_keys(g), 0);
    assert_int_equal(check(g, ROLE_ADMIN, NULL, "a", 0, 1), GUARD_PASS);
    guard_destroy(g);
}

static void test_bad_lists(void **state)
{
    const char *bad[] = {"root:" CK, "checkout:short", "checkout " CK, "checkout:has space in it!",
                         "admin:" AD "\x01", NULL};
    struct guard_config gc = {0};
    char err[256];
    int i;

    for (i = 0; bad[i]; i++) {
        gc.keys_list = bad[i];
        assert_null(guard_create(&gc, err, sizeof err));
        assert_null(strstr(err, "0123456789"));    /* never echo a key */
    }
    gc.keys_list = "# only a comment\n\n";
    {
        struct guard *g = guard_create(&gc, err, sizeof err);
        assert_non_null(g);
        assert_int_equal(guard_keys(g), 0);
        guard_destroy(g);
    }
}

static void test_key_bucket(void **state)
{
    struct guard *g = make("checkout:" CK ",admin:" AD, 0, 2, 0);   /* 2/s, burst 2 */
    uint64_t t = 1000000;
    int retry = 0;

    assert_int_equal(check(g, ROLE_CHECKOUT, "Bearer " CK, "a", 0, t), GUARD_PASS);
    assert_int_equal(check(g, ROLE_CHECKOUT, "Bearer " CK, "a", 0, t), GUARD_PASS);
    assert_int_equal(guard_check(g, ROLE_CHECKOUT, 0, "Bearer " CK, NULL, "a", 0, t, &retry, NULL),
                     GUARD_RATE_LIMITED);
    assert_int_equal(retry, 1);
    /* each key has its own bucket */
    assert_int_equal(check(g, ROLE_CHECKOUT, "Bearer " AD, "a", 0, t), GUARD_PASS);
    /* half a second later one token is back, and only one */
    assert_int_equal(check(g, ROLE_CHECKOUT, "Bearer " CK, "a", 0, t + 500000), GUARD_PASS);
    assert_int_equal(check(g, ROLE_CHECKOUT, "Bearer " CK, "a", 0, t + 500000),
                     GUARD_RATE_LIMITED);
    /* a long pause refills up to the burst, not beyond */
    t += 60000000;
    assert_int_equal(check(g, ROLE_CHECKOUT, "Bearer " CK, "a", 0, t), GUARD_PASS);
    assert_int_equal(check(g, ROLE_CHECKOUT, "Bearer " CK, "a", 0, t), GUARD_PASS);
    assert_int_equal(check(g, ROLE_CHECKOUT, "Bearer " CK, "a", 0, t), GUARD_RATE_LIMITED);
    guard_destroy(g);
}

static void test_address_buckets(void **state)
{
    struct guard *g = make(NULL, 1, 0, 0);    /* 1/s, burst 1 */
    char addr[32];
    int i, passed = 0;

    assert_int_equal(check(g, ROLE_CHECKOUT, NULL, "10.0.0.1", 0, 5), GUARD_PASS);
    assert_int_equal(check(g, ROLE_CHECKOUT, NULL, "10.0.0.1", 0, 6), GUARD_RATE_LIMITED);
    assert_int_equal(check(g, ROLE_CHECKOUT, NULL, "10.0.0.2", 0, 6), GUARD_PASS);
    assert_int_equal(check(g, ROLE_OPEN, NULL, "10.0.0.1", 0, 6), GUARD_PASS);
    /* 100,000 distinct addresses fit in the fixed table: each first call
     * passes (a new or reused bucket starts full), nothing grows */
    for (i = 0; i < 100000; i++) {
        snprintf(addr, sizeof addr, "192.168.%d.%d", i / 256, i % 256);
        passed += check(g, ROLE_CHECKOUT, NULL, addr, 0, 10 + (uint64_t)i) == GUARD_PASS;
    }
    assert_int_equal(passed, 100000);
    guard_destroy(g);
}

static void test_inflight_bound(void **state)
{
    struct guard *g = make(NULL, 0, 0, 3);
    int retry = 0;

    assert_int_equal(check(g, ROLE_CHECKOUT, NULL, "a", 3, 1), GUARD_PASS);
    assert_int_equal(guard_check(g, ROLE_CHECKOUT, 0, NULL, NULL, "a", 4, 1, &retry, NULL),
                     GUARD_OVERLOADED);
    assert_int_equal(retry, 1);
    assert_int_equal(check(g, ROLE_OPEN, NULL, "a", 400, 1), GUARD_PASS);
    /* finishing work (a reserve) gets twice the room */
    assert_int_equal(guard_check(g, ROLE_CHECKOUT, 1, NULL, NULL, "a", 6, 1, &retry, NULL), GUARD_PASS);
    assert_int_equal(guard_check(g, ROLE_CHECKOUT, 1, NULL, NULL, "a", 7, 1, &retry, NULL),
                     GUARD_OVERLOADED);
    guard_destroy(g);
}

/* Retry-After of the shed: 1, or while most are shed, shed / let through
 * over the second before (rounded up, at most 10); 1 again after a quiet
 * second. */
static void test_retry_after_follows_the_shed_ratio(void **state)
{
    struct guard *g = make(NULL, 0, 0, 3);
    uint64_t t = 5000000;
    int retry = 0, i;

    assert_int_equal(guard_check(g, ROLE_CHECKOUT, 0, NULL, NULL, "a", 9, t, &retry, NULL),
                     GUARD_OVERLOADED);
    assert_int_equal(retry, 1);
    for (i = 0; i < 10; i++)             /* 10 let through, 34 shed in all */
        check(g, ROLE_CHECKOUT, NULL, "a", 0, t + 1);
    for (i = 0; i < 33; i++)
        guard_check(g, ROLE_CHECKOUT, 0, NULL, NULL, "a", 9, t + 2, &retry, NULL);
    assert_int_equal(retry, 1);          /* the window is not over */
    t += 1000000;
    guard_check(g, ROLE_CHECKOUT, 0, NULL, NULL, "a", 9, t, &retry, NULL);
    assert_int_equal(retry, 4);          /* 34 / 10, rounded up */
    assert_int_equal(guard_retry_after(g), 4);
    for (i = 0; i < 500; i++)            /* only shed: capped */
        guard_check(g, ROLE_CHECKOUT, 0, NULL, NULL, "a", 9, t + 1, &retry, NULL);
    guard_check(g, ROLE_CHECKOUT, 0, NULL, NULL, "a", 9, t += 1000000, &retry, NULL);
    assert_int_equal(retry, 10);
    for (i = 0; i < 500; i++)
        guard_check(g, ROLE_CHECKOUT, 0, NULL, NULL, "a", 9, t + 1, &retry, NULL);
    guard_check(g, ROLE_CHECKOUT, 0, NULL, NULL, "a", 9, t += 5000000, &retry, NULL);
    assert_int_equal(retry, 1);          /* a quiet spell forgets */
    for (i = 0; i < 20; i++)             /* fewer shed than let through */
        check(g, ROLE_CHECKOUT, NULL, "a", 0, t + 1);
    for (i = 0; i < 19; i++)
        guard_check(g, ROLE_CHECKOUT, 0, NULL, NULL, "a", 9, t + 1, &retry, NULL);
    guard_check(g, ROLE_CHECKOUT, 0, NULL, NULL, "a", 9, t += 1000000, &retry, NULL);
    assert_int_equal(retry, 1);
    guard_destroy(g);
}

/* The limit shrinks by a fifth per 50 ms window of slow answers (by half
 * past twice the target), not below 8, and grows back once answers are
 * fast and it is in the way. */
static void test_adaptive_limit(void **state)
{
    struct guard *g = make_adaptive(NULL, 0, 0, 100, 10);
    uint64_t t = 1000000;
    int retry, i;

    assert_int_equal(guard_inflight_limit(g), 100);
    assert_int_equal(check(g, ROLE_CHECKOUT, NULL, "a", 100, t), GUARD_PASS);
    for (i = 0; i < 3; i++) {            /* three windows of 15 ms answers */
        guard_observe(g, 15000, t);
        t += 50001;
        guard_observe(g, 15000, t);
    }
    assert_int_equal(guard_inflight_limit(g), 51);   /* 100 * 0.8^3, target 10 ms */
    assert_int_equal(guard_check(g, ROLE_CHECKOUT, 0, NULL, NULL, "a", 52, t, &retry, NULL),
                     GUARD_OVERLOADED);
    guard_observe(g, 20000, t += 50001);             /* exactly twice: still a fifth */
    assert_int_equal(guard_inflight_limit(g), 40);   /* 51.2 * 0.8 */
    guard_observe(g, 30000, t += 50001);             /* past twice: by half */
    assert_int_equal(guard_inflight_limit(g), 20);
    for (i = 0; i < 40; i++) {           /* never below the floor */
        guard_observe(g, 30000, t += 50001);
    }
    assert_int_equal(guard_inflight_limit(g), 8);
    /* fast answers alone do not grow it; fast answers while it refuses do:
     * by a quarter (plus one) well under the target, a twentieth near it */
    guard_observe(g, 1000, t += 50001);
    guard_observe(g, 1000, t += 50001);
    assert_int_equal(guard_inflight_limit(g), 8);
    guard_check(g, ROLE_CHECKOUT, 0, NULL, NULL, "a", 1000, t, &retry, NULL);
    guard_observe(g, 1000, t += 50001);
    assert_int_equal(guard_inflight_limit(g), 11);     /* 8 * 1.25 + 1 */
    guard_check(g, ROLE_CHECKOUT, 0, NULL, NULL, "a", 1000, t, &retry, NULL);
    guard_observe(g, 6000, t += 50001);                /* target 10 ms */
    assert_int_equal(guard_inflight_limit(g), 12);     /* 11 * 1.05 + 1 */
    for (i = 0; i < 200; i++) {
        guard_check(g, ROLE_CHECKOUT, 0, NULL, NULL, "a", 1000, t, &retry, NULL);
        guard_observe(g, 1000, t += 50001);
    }
    assert_int_equal(guard_inflight_limit(g), 100);   /* capped at max_inflight */
    guard_destroy(g);
    /* shed_latency 0: the limit stays put */
    g = make(NULL, 0, 0, 100);
    for (i = 0; i < 10; i++)
        guard_observe(g, 1000000, t += 50001);
    assert_int_equal(guard_inflight_limit(g), 100);
    guard_destroy(g);
}

static void test_parse_rate(void **state)
{
    double r, b;

    assert_int_equal(guard_parse_rate("50", &r, &b), 0);
    assert_true(r == 50 && b == 50);
    assert_int_equal(guard_parse_rate("0.5:10", &r, &b), 0);
    assert_true(r == 0.5 && b == 10);
    assert_int_equal(guard_parse_rate("0", &r, &b), 0);
    assert_int_equal(guard_parse_rate("-1", &r, &b), -1);
    assert_int_equal(guard_parse_rate("5:0", &r, &b), -1);
    assert_int_equal(guard_parse_rate("5x", &r, &b), -1);
    assert_int_equal(guard_parse_rate("", &r, &b), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_key_ids),
        cmocka_unit_test(test_no_keys_is_open),
        cmocka_unit_test(test_bad_lists),
        cmocka_unit_test(test_key_bucket),
        cmocka_unit_test(test_address_buckets),
        cmocka_unit_test(test_inflight_bound),
        cmocka_unit_test(test_adaptive_limit),
        cmocka_unit_test(test_retry_after_follows_the_shed_ratio),
        cmocka_unit_test(test_parse_rate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
